"""A customer's balance and ledger, read from the projection in PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Query, Request

from services.gateway.auth import ShopDep
from services.gateway.errors import ApiError
from services.gateway.readmodel import Lot, available_and_pending, expiring

router = APIRouter(prefix="/v1/customers", tags=["customers"])


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]


@router.get("/{customer_id}/balance")
async def balance(customer_id: str, shop: ShopDep, pool: PoolDep) -> dict[str, Any]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM balances WHERE shop_id = $1 AND customer_id = $2", shop, customer_id)
        if row is None:
            raise ApiError(404, "unknown_customer", f"no customer {customer_id!r} in this shop")
        lots = await conn.fetch(
            "SELECT remaining, available_at, expires_at FROM lots WHERE shop_id = $1 AND customer_id = $2"
            " AND remaining > 0",
            shop,
            customer_id,
        )
        position = await conn.fetchval(
            "SELECT next_offset FROM projection_positions WHERE topic = $1 AND partition = $2",
            router_topic(),
            row["ledger_partition"],
        )
    now = datetime.now(UTC)
    live = [Lot(r["remaining"], r["available_at"], r["expires_at"]) for r in lots]
    available, pending = available_and_pending(live, now)
    return {
        "customer_id": customer_id,
        "available": available,
        "pending": pending,
        "lifetime_earned": row["lifetime_earned"],
        "redeemed": row["redeemed"],
        "expired": row["expired"],
        "tier": row["tier"],
        "frozen": row["frozen"],
        "expiring": [{"points": lot.points, "expires_at": lot.expires_at.isoformat()} for lot in expiring(live, now)],
        "position": f"{row['ledger_partition']}:{position or 0}",
    }


@router.get("/{customer_id}/ledger")
async def ledger(
    customer_id: str,
    shop: ShopDep,
    pool: PoolDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    before = decode_cursor(cursor) if cursor else 2**62
    rows = await pool.fetch(
        """SELECT entry_id, kind, points, balance_after, reason, source_event_id, occurred_at, ledger_offset
           FROM ledger_entries WHERE shop_id = $1 AND customer_id = $2 AND ledger_offset < $3
           ORDER BY ledger_offset DESC LIMIT $4""",
        shop,
        customer_id,
        before,
        limit + 1,
    )
    page = rows[:limit]
    entries = [{k: v for k, v in r.items() if k != "ledger_offset"} for r in page]
    for e in entries:
        e["occurred_at"] = e["occurred_at"].isoformat()
    more = len(rows) > limit
    return {"entries": entries, "next_cursor": encode_cursor(page[-1]["ledger_offset"]) if more else None}


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "o" and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError(400, "invalid_cursor", "cursor is not one this API returned", {"field": "cursor"})


def router_topic() -> str:
    from services.common.topics import LEDGER

    return LEDGER.name
