-- A clawback row names the credit it reverses, so tier progress can count it against that credit.
ALTER TABLE ledger_entries ADD COLUMN earned_entry_id text;
-- The earn service opens each credit's lot under the credit's entry id, and names it on the clawback.
UPDATE ledger_entries SET earned_entry_id = lot_id WHERE kind = 'clawed_back';
