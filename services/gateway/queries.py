"""The API's reads of the read models in PostgreSQL (the projector's writes are in `postgres.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.gateway.postgres import Conn
from services.gateway.readmodel import Lot


@dataclass(frozen=True)
class BalanceSnapshot:
    lifetime_earned: int
    redeemed: int
    expired: int
    tier: str
    frozen: bool
    lots: list[Lot]
    next_offset: int
    """The projector's position in the customer's ledger partition when the snapshot was taken."""


async def balance(
    conn: Conn, shop_id: str, customer_id: str, topic: str, partition: int, now: datetime
) -> BalanceSnapshot | None:
    # One snapshot, so the totals, the lots and the position all describe the same projected prefix.
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        row = await conn.fetchrow(
            "SELECT lifetime_earned, redeemed, expired, tier, frozen FROM balances"
            " WHERE shop_id = $1 AND customer_id = $2",
            shop_id,
            customer_id,
        )
        if row is None:
            return None
        lots = await conn.fetch(
            "SELECT remaining, available_at, expires_at FROM lots"
            " WHERE shop_id = $1 AND customer_id = $2 AND remaining > 0 AND expires_at > $3",
            shop_id,
            customer_id,
            now,
        )
        next_offset = await conn.fetchval(
            "SELECT next_offset FROM projection_positions WHERE topic = $1 AND partition = $2", topic, partition
        )
    return BalanceSnapshot(
        row["lifetime_earned"],
        row["redeemed"],
        row["expired"],
        row["tier"],
        row["frozen"],
        [Lot(r["remaining"], r["available_at"], r["expires_at"]) for r in lots],
        next_offset or 0,
    )


async def ledger_page(
    pool: asyncpg.Pool, shop_id: str, customer_id: str, before_offset: int | None, limit: int
) -> list[asyncpg.Record]:
    """Up to `limit` entries older than `before_offset` (all if None), newest first."""
    return await pool.fetch(
        """SELECT entry_id, kind, points, balance_after, reason, source_event_id, occurred_at, ledger_offset
           FROM ledger_entries WHERE shop_id = $1 AND customer_id = $2 AND ($3::bigint IS NULL OR ledger_offset < $3)
           ORDER BY ledger_offset DESC LIMIT $4""",
        shop_id,
        customer_id,
        before_offset,
        limit,
    )


async def customer_exists(pool: asyncpg.Pool, shop_id: str, customer_id: str) -> bool:
    found = await pool.fetchval(
        "SELECT true FROM balances WHERE shop_id = $1 AND customer_id = $2", shop_id, customer_id
    )
    return bool(found)
