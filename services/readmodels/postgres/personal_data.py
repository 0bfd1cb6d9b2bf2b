"""Customers' personal data in PostgreSQL, never in the log: shipping addresses, and their erasure.

An address is stored once per redemption (the first one wins, so a retried request changes
nothing). Erasing a customer's personal data deletes their addresses and records the erasure in
the same transaction; an address from a request older than the customer's latest erasure is never
stored again (the projector re-reads requests a shop put on Kafka itself when it rebuilds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.readmodels.postgres import Conn

STORE = """
INSERT INTO shipping_addresses (shop_id, customer_id, redemption_id, address, requested_at)
SELECT $1, $2, $3, $4::jsonb, $5
WHERE NOT EXISTS (SELECT 1 FROM personal_data_erasures e
                  WHERE e.shop_id = $1 AND e.customer_id = $2 AND e.erased_at >= $5)
ON CONFLICT DO NOTHING"""


@dataclass(frozen=True)
class StoredAddress:
    redemption_id: str
    address: dict[str, Any]
    requested_at: datetime


@dataclass(frozen=True)
class Erasure:
    erased_at: datetime
    actor: str
    addresses: int


async def store_address(
    conn: Conn, shop_id: str, customer_id: str, redemption_id: str, address: dict[str, Any], requested_at: datetime
) -> None:
    await conn.execute(STORE, shop_id, customer_id, redemption_id, json.dumps(address), requested_at)


async def address(
    conn: Conn | asyncpg.Pool, shop_id: str, customer_id: str, redemption_id: str
) -> dict[str, Any] | None:
    found = await conn.fetchval(
        "SELECT address FROM shipping_addresses WHERE shop_id = $1 AND customer_id = $2 AND redemption_id = $3",
        shop_id, customer_id, redemption_id,
    )  # fmt: skip
    return None if found is None else dict(json.loads(found))


async def addresses(conn: Conn | asyncpg.Pool, shop_id: str, customer_id: str) -> list[StoredAddress]:
    rows = await conn.fetch(
        """SELECT redemption_id, address, requested_at FROM shipping_addresses
           WHERE shop_id = $1 AND customer_id = $2 ORDER BY requested_at, redemption_id""",
        shop_id, customer_id,
    )  # fmt: skip
    return [StoredAddress(r["redemption_id"], json.loads(r["address"]), r["requested_at"]) for r in rows]


async def erasures(conn: Conn | asyncpg.Pool, shop_id: str, customer_id: str) -> list[Erasure]:
    rows = await conn.fetch(
        """SELECT erased_at, actor, addresses FROM personal_data_erasures
           WHERE shop_id = $1 AND customer_id = $2 ORDER BY erased_at""",
        shop_id, customer_id,
    )  # fmt: skip
    return [Erasure(r["erased_at"], r["actor"], r["addresses"]) for r in rows]


async def erase(conn: Conn, shop_id: str, customer_id: str, actor: str, now: datetime) -> Erasure:
    """Deletes the customer's addresses and records the erasure, atomically."""
    async with conn.transaction():
        deleted = await conn.fetchval(
            """WITH gone AS (DELETE FROM shipping_addresses WHERE shop_id = $1 AND customer_id = $2 RETURNING 1)
               SELECT count(*) FROM gone""",
            shop_id, customer_id,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO personal_data_erasures (shop_id, customer_id, erased_at, actor, addresses)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            shop_id, customer_id, now, actor, deleted,
        )  # fmt: skip
    return Erasure(now, actor, int(deleted))
