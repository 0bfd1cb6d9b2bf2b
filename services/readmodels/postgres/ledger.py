"""The ledger read models in PostgreSQL: what a batch's fold needs, and what it writes.

`ledger_entries` (one row per entry), `lots` (what is left of each credit) and `balances` (totals;
`frozen` is the outcomes' to write, in `postgres.accounts`).
"""

from __future__ import annotations

from collections.abc import Iterable

from services.readmodels.folds import Balance, CustomerKey, HeldLot, Lots, Projection
from services.readmodels.postgres import Conn, columns

FIELDS = frozenset(Balance.__dataclass_fields__)


async def known_entries(conn: Conn, entry_ids: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT entry_id FROM ledger_entries WHERE entry_id = ANY($1::text[])", entry_ids)
    return {r["entry_id"] for r in rows}


async def balances(conn: Conn, customers: Iterable[CustomerKey]) -> dict[CustomerKey, Balance]:
    rows = await conn.fetch(
        """SELECT b.shop_id, b.customer_id, b.balance, b.lifetime_earned, b.redeemed, b.expired, b.clawed_back, b.owed,
             b.adjusted, b.transferred_in, b.transferred_out
           FROM balances b
           JOIN unnest($1::text[], $2::text[]) AS k(shop_id, customer_id) USING (shop_id, customer_id)""",
        *columns(sorted(set(customers)), 2),
    )
    return {(r["shop_id"], r["customer_id"]): Balance(**{k: v for k, v in r.items() if k in FIELDS}) for r in rows}


async def lots(conn: Conn, lot_ids: Iterable[str]) -> Lots:
    """The lots named `lot_ids`, by their holder: the read model applies shares, it never looks for lots."""
    rows = await conn.fetch(
        "SELECT lot_id, shop_id, customer_id, points, remaining, available_at, expires_at FROM lots"
        " WHERE lot_id = ANY($1::text[])",
        sorted(set(lot_ids)),
    )
    found: dict[CustomerKey, dict[str, HeldLot]] = {}
    for r in rows:
        lot = HeldLot(r["lot_id"], r["points"], r["remaining"], r["available_at"], r["expires_at"])
        found.setdefault((r["shop_id"], r["customer_id"]), {})[lot.lot_id] = lot
    return found


INSERT_ENTRIES = """
INSERT INTO ledger_entries (entry_id, shop_id, customer_id, kind, points, reason, source_event_id, occurred_at,
  lot_id, available_at, expires_at, ledger_partition, ledger_offset, balance_after, uncollected, qualifying,
  rule_version, earned_entry_id, claimed, ledger_topic)
SELECT *, $1 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[],
  $9::timestamptz[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::int[], $14::bigint[], $15::bigint[],
  $16::bigint[], $17::boolean[], $18::int[], $19::text[], $20::bigint[])
ON CONFLICT (entry_id) DO NOTHING"""

UPSERT_LOTS = """
INSERT INTO lots (lot_id, shop_id, customer_id, points, remaining, available_at, expires_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::timestamptz[],
  $7::timestamptz[])
ON CONFLICT (lot_id) DO UPDATE SET remaining = EXCLUDED.remaining
WHERE lots.shop_id = EXCLUDED.shop_id AND lots.customer_id = EXCLUDED.customer_id"""

UPSERT_BALANCES = """
INSERT INTO balances (shop_id, customer_id, balance, lifetime_earned, redeemed, expired, clawed_back, owed,
  adjusted, transferred_in, transferred_out, ledger_partition)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
  $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::int[])
ON CONFLICT (shop_id, customer_id) DO UPDATE SET balance = EXCLUDED.balance,
  lifetime_earned = EXCLUDED.lifetime_earned, redeemed = EXCLUDED.redeemed, expired = EXCLUDED.expired,
  clawed_back = EXCLUDED.clawed_back, owed = EXCLUDED.owed, adjusted = EXCLUDED.adjusted,
  transferred_in = EXCLUDED.transferred_in, transferred_out = EXCLUDED.transferred_out"""


async def write(conn: Conn, topic: str, projection: Projection) -> None:
    """The batch's new rows, the lots they opened or changed, and the balances they changed."""
    entries = [
        (r.entry_id, r.shop_id, r.customer_id, r.kind, row.points, r.reason, r.source_event_id, r.occurred_at,
         r.lot_id, r.available_at, r.expires_at, r.partition, r.offset, row.balance_after, row.uncollected,
         r.qualifying, r.rule_version, r.earned_entry_id, row.claimed)
        for row in projection.rows
        for r in (row.record,)
    ]  # fmt: skip
    await conn.execute(INSERT_ENTRIES, topic, *columns(entries, 19))
    lots = [
        (lot.lot_id, shop, customer, lot.points, lot.remaining, lot.available_at, lot.expires_at)
        for (shop, customer), changed in projection.lots.items()
        for lot in changed.values()
    ]
    await conn.execute(UPSERT_LOTS, *columns(lots, 7))
    partition_of = {row.record.customer: row.record.partition for row in projection.rows}
    changed_balances = [
        (s, c, b.balance, b.lifetime_earned, b.redeemed, b.expired, b.clawed_back, b.owed, b.adjusted,
         b.transferred_in, b.transferred_out, partition_of[(s, c)])
        for (s, c), b in projection.balances.items()
    ]  # fmt: skip
    await conn.execute(UPSERT_BALANCES, *columns(changed_balances, 12))
