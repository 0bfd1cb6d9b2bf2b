-- Ledger rows carry their lot's dates and their full log position (topic, partition, offset).
ALTER TABLE ledger_entries
    ADD COLUMN available_at timestamptz,
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN ledger_topic text;

UPDATE ledger_entries e SET available_at = l.available_at, expires_at = l.expires_at
  FROM lots l WHERE l.lot_id = e.lot_id;
-- Rows projected before this migration came from the one ledger topic the positions name.
UPDATE ledger_entries SET ledger_topic = COALESCE((SELECT min(topic) FROM projection_positions), 'loyalty.ledger');
ALTER TABLE ledger_entries ALTER COLUMN ledger_topic SET NOT NULL;
