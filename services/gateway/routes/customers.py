"""A customer's balance and ledger, read from the projection in PostgreSQL; scoped to the key's shop."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.common import topics
from services.gateway import cursors, partitioner, queries, readmodel
from services.gateway.deps import LedgerPartitionsDep, PoolDep, ShopDep
from services.gateway.errors import ApiError
from services.gateway.responses import BalanceOut, ExpiringLot, LedgerEntryOut, LedgerPage, errors

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=errors(401, 404, 422))
CustomerId = Annotated[str, Path(min_length=1, max_length=256)]


def unknown(customer_id: str) -> ApiError:
    return ApiError(404, "unknown_customer", f"no customer {customer_id!r} in this shop", {"field": "customer_id"})


@router.get("/{customer_id}/balance")
async def balance(customer_id: CustomerId, shop: ShopDep, pool: PoolDep, partitions: LedgerPartitionsDep) -> BalanceOut:
    partition = partitioner.partition(topics.customer_key(shop, customer_id), partitions)
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        snapshot = await queries.balance(conn, shop, customer_id, topics.LEDGER.name, partition, now)
    if snapshot is None:
        raise unknown(customer_id)
    lots = readmodel.view(snapshot.lots, now)
    return BalanceOut(
        customer_id=customer_id,
        available=lots.available,
        pending=lots.pending,
        lifetime_earned=snapshot.lifetime_earned,
        redeemed=snapshot.redeemed,
        expired=snapshot.expired,
        tier=snapshot.tier,
        frozen=snapshot.frozen,
        expiring=[ExpiringLot(points=lot.points, expires_at=lot.expires_at) for lot in lots.expiring],
        position=f"{partition}:{snapshot.next_offset}",
    )


@router.get("/{customer_id}/ledger", responses=errors(400))
async def ledger(
    customer_id: CustomerId,
    shop: ShopDep,
    pool: PoolDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")] = None,
) -> LedgerPage:
    try:
        before = cursors.decode(cursor) if cursor is not None else None
    except cursors.InvalidCursor as exc:
        raise ApiError(400, "invalid_cursor", str(exc), {"field": "cursor"}) from None
    rows = await queries.ledger_page(pool, shop, customer_id, before, limit + 1)
    if not rows and before is None and not await queries.customer_exists(pool, shop, customer_id):
        raise unknown(customer_id)
    page = rows[:limit]
    return LedgerPage(
        entries=[LedgerEntryOut(**{k: v for k, v in r.items() if k != "ledger_offset"}) for r in page],
        next_cursor=cursors.encode(page[-1]["ledger_offset"]) if len(rows) > limit else None,
    )
