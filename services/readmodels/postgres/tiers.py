"""The `tiers` read model in PostgreSQL: each customer's tier as `loyalty.tiers` last set it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.readmodels.folds import CustomerKey
from services.readmodels.folds.tiers import TierState
from services.readmodels.postgres import Conn, columns


async def states(conn: Conn, customers: Iterable[CustomerKey]) -> dict[CustomerKey, TierState]:
    rows = await conn.fetch(
        """SELECT t.shop_id, t.customer_id, t.tier, t.since, t.qualifying_points, t.from_tier, t.reason FROM tiers t
           JOIN unnest($1::text[], $2::text[]) AS k(shop_id, customer_id) USING (shop_id, customer_id)""",
        *columns(sorted(set(customers)), 2),
    )
    return {
        (r["shop_id"], r["customer_id"]): TierState(
            r["tier"], r["since"], r["qualifying_points"], r["from_tier"], r["reason"]
        )
        for r in rows
    }


UPSERT_TIERS = """
INSERT INTO tiers (shop_id, customer_id, tier, since, qualifying_points, from_tier, reason)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[], $6::text[], $7::text[])
ON CONFLICT (shop_id, customer_id) DO UPDATE SET tier = EXCLUDED.tier, since = EXCLUDED.since,
  qualifying_points = EXCLUDED.qualifying_points, from_tier = EXCLUDED.from_tier, reason = EXCLUDED.reason"""


async def write(conn: Conn, changed: Mapping[CustomerKey, TierState]) -> None:
    rows = [
        (shop, customer, s.tier, s.since, s.qualifying_points, s.from_tier, s.reason)
        for (shop, customer), s in sorted(changed.items())
    ]
    await conn.execute(UPSERT_TIERS, *columns(rows, 7))
