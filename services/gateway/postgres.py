"""PostgreSQL for the projector: connections in a configurable schema, and one batch's statements.

Every write of a batch is a multi-row statement over arrays (`unnest`), so a batch of a thousand
records costs a handful of round trips. The caller holds the transaction.
"""

from __future__ import annotations

import os
import re
from operator import attrgetter
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from services.gateway.readmodel import Balance, CustomerKey, Projection

Conn = asyncpg.Connection | PoolConnectionProxy
"""A connection of its own or one borrowed from a pool: every statement here takes either."""
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def configured_schema() -> str | None:
    """DATABASE_SCHEMA: the PostgreSQL schema of the read models (tests isolate themselves in one)."""
    return os.environ.get("DATABASE_SCHEMA") or None


def quoted(schema: str) -> str:
    if not IDENTIFIER.fullmatch(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
    return f'"{schema}"'


def _server_settings(schema: str | None) -> dict[str, str]:
    return {"search_path": quoted(schema)} if schema else {}


async def connect(database_url: str, schema: str | None = None) -> asyncpg.Connection:
    return await asyncpg.connect(database_url, server_settings=_server_settings(schema))


async def create_pool(database_url: str, schema: str | None = None, **kwargs: Any) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(database_url, server_settings=_server_settings(schema), **kwargs)
    assert pool is not None  # only None when created without awaiting
    return pool


async def positions(conn: Conn, topic: str) -> dict[int, int]:
    rows = await conn.fetch("SELECT partition, next_offset FROM projection_positions WHERE topic = $1", topic)
    return {r["partition"]: r["next_offset"] for r in rows}


async def lock_positions(conn: Conn, topic: str, partitions: list[int]) -> dict[int, int]:
    """The stored positions of `partitions`, locked until the transaction ends.

    Two projectors that both hold a partition for a moment during a rebalance serialize here,
    and the later one sees what the earlier one already wrote.
    """
    ordered = sorted(partitions)
    await conn.execute(
        """INSERT INTO projection_positions (topic, partition, next_offset)
           SELECT $1, p, 0 FROM unnest($2::int[]) AS p ON CONFLICT DO NOTHING""",
        topic,
        ordered,
    )
    rows = await conn.fetch(
        """SELECT partition, next_offset FROM projection_positions
           WHERE topic = $1 AND partition = ANY($2::int[]) ORDER BY partition FOR UPDATE""",
        topic,
        ordered,
    )
    return {r["partition"]: r["next_offset"] for r in rows}


async def known_entries(conn: Conn, entry_ids: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT entry_id FROM ledger_entries WHERE entry_id = ANY($1::text[])", entry_ids)
    return {r["entry_id"] for r in rows}


async def balances(conn: Conn, customers: list[CustomerKey]) -> dict[CustomerKey, Balance]:
    rows = await conn.fetch(
        """SELECT b.shop_id, b.customer_id, b.balance, b.lifetime_earned, b.redeemed, b.expired FROM balances b
           JOIN unnest($1::text[], $2::text[]) AS k(shop_id, customer_id) USING (shop_id, customer_id)""",
        [s for s, _ in customers],
        [c for _, c in customers],
    )
    return {
        (r["shop_id"], r["customer_id"]): Balance(r["balance"], r["lifetime_earned"], r["redeemed"], r["expired"])
        for r in rows
    }


ENTRY_COLUMNS = attrgetter(
    "entry_id", "shop_id", "customer_id", "kind", "points", "reason", "source_event_id", "occurred_at", "lot_id",
    "available_at", "expires_at", "partition", "offset",
)  # fmt: skip
INSERT_ENTRIES = """
INSERT INTO ledger_entries (entry_id, shop_id, customer_id, kind, points, reason, source_event_id, occurred_at,
  lot_id, available_at, expires_at, ledger_partition, ledger_offset, balance_after, ledger_topic)
SELECT *, $1 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[],
  $9::timestamptz[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::int[], $14::bigint[], $15::bigint[])
ON CONFLICT (entry_id) DO NOTHING"""

INSERT_LOTS = """
INSERT INTO lots (lot_id, shop_id, customer_id, points, remaining, available_at, expires_at)
SELECT l, s, c, p, p, av, ex
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[])
  AS t(l, s, c, p, av, ex)
ON CONFLICT (lot_id) DO NOTHING"""

UPSERT_BALANCES = """
INSERT INTO balances (shop_id, customer_id, balance, lifetime_earned, redeemed, expired, ledger_partition)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::int[])
ON CONFLICT (shop_id, customer_id) DO UPDATE SET balance = EXCLUDED.balance,
  lifetime_earned = EXCLUDED.lifetime_earned, redeemed = EXCLUDED.redeemed, expired = EXCLUDED.expired"""

ADVANCE_POSITIONS = """
UPDATE projection_positions p SET next_offset = n.next_offset
FROM unnest($2::int[], $3::bigint[]) AS n(partition, next_offset)
WHERE p.topic = $1 AND p.partition = n.partition"""


async def write(conn: Conn, topic: str, projection: Projection, next_offsets: dict[int, int]) -> None:
    """The batch's rows, lots, changed balances and new positions (rows locked by `lock_positions`)."""
    entries = [(row.record, row.balance_after) for row in projection.rows]
    await conn.execute(INSERT_ENTRIES, topic, *_columns([(*ENTRY_COLUMNS(r), after) for r, after in entries], 14))
    lots = [(r.lot_id, r.shop_id, r.customer_id, lot) for r, _ in entries if r.lot_id and (lot := r.lot) is not None]
    await conn.execute(
        INSERT_LOTS,
        *_columns([(lot_id, s, c, lot.points, lot.available_at, lot.expires_at) for lot_id, s, c, lot in lots], 6),
    )
    partition_of = {r.customer: r.partition for r, _ in entries}
    await conn.execute(
        UPSERT_BALANCES,
        *_columns(
            [
                (s, c, b.balance, b.lifetime_earned, b.redeemed, b.expired, partition_of[(s, c)])
                for (s, c), b in projection.balances.items()
            ],
            7,
        ),
    )
    await conn.execute(ADVANCE_POSITIONS, topic, *_columns(sorted(next_offsets.items()), 2))


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Row tuples -> one list per column, the shape `unnest` takes."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
