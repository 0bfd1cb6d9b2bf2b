"""PostgreSQL access of the gateway: the pool, and the read-model statements."""

from __future__ import annotations

import os
from typing import Any

import asyncpg

from services.gateway.readmodel import Entry, Totals

SCHEMA = os.environ.get("DATABASE_SCHEMA", "")
"""An optional PostgreSQL schema for the read models (tests isolate themselves with one)."""


async def create_pool(database_url: str, **kwargs: Any) -> asyncpg.Pool:
    settings = {"search_path": SCHEMA} if SCHEMA else {}
    pool = await asyncpg.create_pool(database_url, server_settings=settings, **kwargs)
    assert pool is not None
    return pool


async def connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA} if SCHEMA else {})


async def positions(conn: asyncpg.Connection, topic: str) -> dict[int, int]:
    rows = await conn.fetch("SELECT partition, next_offset FROM projection_positions WHERE topic = $1", topic)
    return {r["partition"]: r["next_offset"] for r in rows}


async def known_entries(conn: asyncpg.Connection, entry_ids: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT entry_id FROM ledger_entries WHERE entry_id = ANY($1::text[])", entry_ids)
    return {r["entry_id"] for r in rows}


async def totals(conn: asyncpg.Connection, customers: list[tuple[str, str]]) -> dict[tuple[str, str], Totals]:
    rows = await conn.fetch(
        """SELECT b.* FROM balances b JOIN unnest($1::text[], $2::text[]) AS k(shop_id, customer_id)
           USING (shop_id, customer_id)""",
        [s for s, _ in customers],
        [c for _, c in customers],
    )
    return {
        (r["shop_id"], r["customer_id"]): Totals(r["balance"], r["lifetime_earned"], r["redeemed"], r["expired"])
        for r in rows
    }


async def write_batch(
    conn: asyncpg.Connection,
    rows: list[tuple[Entry, int]],
    new_totals: dict[tuple[str, str], tuple[Totals, int]],
    topic: str,
    next_offsets: dict[int, int],
) -> None:
    """Rows, totals and positions in the caller's transaction: all of a batch or none of it."""
    await conn.executemany(
        """INSERT INTO ledger_entries (entry_id, shop_id, customer_id, kind, points, balance_after, reason,
           source_event_id, occurred_at, lot_id, ledger_partition, ledger_offset)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (entry_id) DO NOTHING""",
        [
            (
                e.entry_id,
                e.shop_id,
                e.customer_id,
                e.kind,
                e.points,
                after,
                e.reason,
                e.source_event_id,
                e.occurred_at,
                e.lot_id,
                e.partition,
                e.offset,
            )
            for e, after in rows
        ],
    )
    await conn.executemany(
        """INSERT INTO lots (lot_id, shop_id, customer_id, points, remaining, available_at, expires_at)
           VALUES ($1, $2, $3, $4, $4, $5, $6) ON CONFLICT (lot_id) DO NOTHING""",
        [
            (e.lot_id, e.shop_id, e.customer_id, e.points, e.available_at, e.expires_at)
            for e, _ in rows
            if e.kind == "earned" and e.lot_id and e.available_at and e.expires_at
        ],
    )
    await conn.executemany(
        """INSERT INTO balances (shop_id, customer_id, balance, lifetime_earned, redeemed, expired, ledger_partition)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (shop_id, customer_id) DO UPDATE SET
           balance = EXCLUDED.balance, lifetime_earned = EXCLUDED.lifetime_earned,
           redeemed = EXCLUDED.redeemed, expired = EXCLUDED.expired, ledger_partition = EXCLUDED.ledger_partition""",
        [(s, c, t.balance, t.lifetime_earned, t.redeemed, t.expired, p) for (s, c), (t, p) in new_totals.items()],
    )
    await conn.executemany(
        """INSERT INTO projection_positions (topic, partition, next_offset) VALUES ($1, $2, $3)
           ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset""",
        [(topic, p, o) for p, o in next_offsets.items()],
    )
