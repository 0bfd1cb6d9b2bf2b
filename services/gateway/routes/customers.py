"""A customer's balance, ledger and tier, read from the projections in PostgreSQL; scoped to the key's shop."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path, Query

from services.common import topics
from services.gateway import cursors, partitioner, queries
from services.gateway.auth import CustomerReaderDep, MinterDep
from services.gateway.customer_tokens import CustomerToken, TokenBody, mint
from services.gateway.deps import LedgerPartitionsDep, PoolDep
from services.gateway.errors import ApiError
from services.gateway.freshness import FreshDep
from services.gateway.responses import BalanceOut, ExpiringLot, LedgerEntryOut, LedgerPage, TierOut, errors
from services.gateway.shown_once import ShownOnce
from services.program import DEFAULT
from services.readmodels import folds
from services.readmodels.folds.tiers import DEFAULT_TIER
from services.readmodels.postgres import programs as programs_db
from services.tier.ladder import TierRules
from services.tier.progress import standing

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=errors(401, 404, 422))
CustomerId = Annotated[str, Path(min_length=1, max_length=256)]


def unknown(customer_id: str) -> ApiError:
    return ApiError(404, "unknown_customer", f"no customer {customer_id!r} in this shop", {"field": "customer_id"})


@router.get("/{customer_id}/balance", responses=errors(400, 409))
async def balance(
    customer_id: CustomerId,
    shop: CustomerReaderDep,
    _: FreshDep,
    pool: PoolDep,
    partitions: LedgerPartitionsDep,
) -> BalanceOut:
    partition = partitioner.partition(topics.customer_key(shop, customer_id), partitions)
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        snapshot = await queries.balance(conn, shop, customer_id, topics.LEDGER.name, partition, now)
    if snapshot is None:
        raise unknown(customer_id)
    lots = folds.view(snapshot.lots, now, snapshot.owed)
    return BalanceOut(
        customer_id=customer_id,
        available=lots.available,
        pending=lots.pending,
        lifetime_earned=snapshot.lifetime_earned,
        redeemed=snapshot.redeemed,
        expired=snapshot.expired,
        clawed_back=snapshot.clawed_back,
        owed=snapshot.owed,
        adjusted=snapshot.adjusted,
        transferred_in=snapshot.transferred_in,
        transferred_out=snapshot.transferred_out,
        tier=snapshot.tier,
        frozen=snapshot.frozen,
        expiring=[ExpiringLot(points=lot.points, expires_at=lot.expires_at) for lot in lots.expiring],
        position=f"{partition}:{snapshot.next_offset}",
    )


# Only `uncollected` and `claimed` have defaults, so they alone are left out when they are 0.
@router.get("/{customer_id}/ledger", responses=errors(400, 409), response_model_exclude_defaults=True)
async def ledger(
    customer_id: CustomerId,
    shop: CustomerReaderDep,
    _: FreshDep,
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
        entries=[entry(r) for r in page],
        next_cursor=cursors.encode(page[-1]["ledger_offset"]) if len(rows) > limit else None,
    )


def entry(row: asyncpg.Record) -> LedgerEntryOut:
    return LedgerEntryOut(**{k: v for k, v in row.items() if k != "ledger_offset"})


@router.get("/{customer_id}/tier", responses=errors(400, 409))
async def tier(customer_id: CustomerId, shop: CustomerReaderDep, _: FreshDep, pool: PoolDep) -> TierOut:
    """Progress under the shop's program in effect now, counted as the tier service counts it."""
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        if not await queries.customer_exists(conn, shop, customer_id):
            raise unknown(customer_id)
        configured = await programs_db.in_effect(conn, shop, now)
        rules = TierRules.of(configured.program if configured is not None else DEFAULT)
        starts_at = rules.window_start(now)
        state, entries = await queries.tier(conn, shop, customer_id, starts_at)
    current = standing(state.tier if state is not None else DEFAULT_TIER, entries, now, rules)
    return TierOut(
        tier=current.tier,
        qualifying_points=current.qualifying_points,
        window_days=current.window_days,
        next_tier=current.next_tier,
        points_to_next=current.points_to_next or 0,
        since=state.since if state is not None else None,
        window_mode=rules.mode,
        window_starts_at=starts_at,
        grace_days=rules.grace_days,
    )


@router.post("/{customer_id}/tokens", status_code=201, responses=errors(403, 409, 429), dependencies=[ShownOnce])
async def token(customer_id: CustomerId, shop: MinterDep, body: TokenBody | None = None) -> CustomerToken:
    """A customer token (`read` key): it reads this customer's own account and redeems for them, nothing else."""
    return mint(shop, customer_id, body)
