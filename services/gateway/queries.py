"""The API's reads of the read models in PostgreSQL (the projector's writes are in `postgres`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from services.readmodels.folds import Lot
from services.readmodels.folds.tiers import DEFAULT_TIER, TierState
from services.readmodels.postgres import Conn
from services.tier.domain import LedgerEntry

TIER_KIND: dict[str, Literal["earned", "clawed_back"]] = {"earned": "earned", "clawback_claimed": "clawed_back"}
"""The tier service's names of the entries that qualify (it reads PointsEarned and PointsClawedBack)."""


@dataclass(frozen=True)
class BalanceSnapshot:
    lifetime_earned: int
    redeemed: int
    expired: int
    clawed_back: int
    owed: int
    adjusted: int
    transferred_in: int
    transferred_out: int
    tier: str
    frozen: bool
    lots: list[Lot]
    next_offset: int
    """The projector's position in the customer's ledger partition when the snapshot was taken."""


# One statement, so one round trip and one snapshot: the totals, the lots and the position all
# describe the same projected prefix. The three lot arrays come from one aggregate pass, so they pair up.
BALANCE = """
SELECT b.lifetime_earned, b.redeemed, b.expired, b.clawed_back, b.owed, b.adjusted, b.transferred_in,
       b.transferred_out, b.frozen, COALESCE(t.tier, $3) AS tier, l.remaining, l.available_at, l.expires_at,
       COALESCE((SELECT next_offset FROM projection_positions WHERE topic = $5 AND partition = $6), 0) AS next_offset
FROM balances b
LEFT JOIN tiers t USING (shop_id, customer_id)
CROSS JOIN LATERAL (
  SELECT array_agg(remaining) AS remaining, array_agg(available_at) AS available_at, array_agg(expires_at) AS expires_at
  FROM lots WHERE shop_id = b.shop_id AND customer_id = b.customer_id AND remaining > 0 AND expires_at > $4
) l
WHERE b.shop_id = $1 AND b.customer_id = $2"""


async def balance(
    conn: Conn, shop_id: str, customer_id: str, topic: str, partition: int, now: datetime
) -> BalanceSnapshot | None:
    row = await conn.fetchrow(BALANCE, shop_id, customer_id, DEFAULT_TIER, now, topic, partition)
    if row is None:
        return None
    lots = zip(row["remaining"] or (), row["available_at"] or (), row["expires_at"] or (), strict=True)
    totals = {k: v for k, v in row.items() if k not in ("remaining", "available_at", "expires_at")}
    return BalanceSnapshot(**totals, lots=[Lot(*lot) for lot in lots])


async def ledger_page(
    pool: asyncpg.Pool, shop_id: str, customer_id: str, before_offset: int | None, limit: int
) -> list[asyncpg.Record]:
    """Up to `limit` entries older than `before_offset` (all if None), newest first."""
    return await pool.fetch(
        """SELECT entry_id, kind, points, balance_after, reason, source_event_id, occurred_at, uncollected, claimed,
             ledger_offset
           FROM ledger_entries WHERE shop_id = $1 AND customer_id = $2 AND ($3::bigint IS NULL OR ledger_offset < $3)
           ORDER BY ledger_offset DESC LIMIT $4""",
        shop_id,
        customer_id,
        before_offset,
        limit,
    )


async def customer_exists(pool: asyncpg.Pool | Conn, shop_id: str, customer_id: str) -> bool:
    """Known from its ledger or its tier."""
    found = await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM balances WHERE shop_id = $1 AND customer_id = $2)"
        " OR EXISTS (SELECT 1 FROM tiers WHERE shop_id = $1 AND customer_id = $2)",
        shop_id,
        customer_id,
    )
    return bool(found)


async def tier(
    conn: Conn, shop_id: str, customer_id: str, since: datetime
) -> tuple[TierState | None, list[LedgerEntry]]:
    """The customer's tier (None before any change) and its qualifying ledger entries from `since` on.

    Only earn's entries qualify: credits, and clawback claims, which count what they asked back
    (collected or not) against the credit they name. Redemptions, expiry, adjustments and transfers
    never change qualifying points.
    """
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        state = await conn.fetchrow(
            "SELECT tier, since, qualifying_points, from_tier, reason FROM tiers"
            " WHERE shop_id = $1 AND customer_id = $2",
            shop_id,
            customer_id,
        )
        rows = await conn.fetch(
            """SELECT entry_id, occurred_at, kind, CASE kind WHEN 'earned' THEN points ELSE claimed END AS points,
                 earned_entry_id
               FROM ledger_entries WHERE shop_id = $1 AND customer_id = $2 AND qualifying AND occurred_at >= $3
                 AND kind IN ('earned', 'clawback_claimed')
               ORDER BY ledger_offset""",
            shop_id,
            customer_id,
            since,
        )
    entries = [LedgerEntry(r["entry_id"], shop_id, customer_id, r["occurred_at"], TIER_KIND[r["kind"]], r["points"],
                           earned_entry_id=r["earned_entry_id"]) for r in rows]  # fmt: skip
    return (TierState(**dict(state)) if state is not None else None), entries
