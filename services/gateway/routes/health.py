"""Liveness and readiness (PostgreSQL and Kafka reachable, the projection not too far behind).

The metrics are not here: they name every shop and its liability, so `__main__` serves them on a
port of their own (METRICS_PORT, 9100), which only Prometheus should reach.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from services.gateway import freshness, offsets
from services.gateway.deps import LedgerPartitionsDep, PoolDep, ProducerDep
from services.gateway.errors import ApiError
from services.gateway.responses import errors
from services.gateway.settings import gateway_settings

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=errors(503))
async def readyz(
    request: Request, pool: PoolDep, producer: ProducerDep, partitions: LedgerPartitionsDep
) -> dict[str, str]:
    try:
        await pool.fetchval("SELECT 1", timeout=2)
    except Exception as exc:
        raise ApiError(503, "not_ready", f"PostgreSQL unreachable: {type(exc).__name__}") from None
    try:
        await asyncio.to_thread(producer.list_topics, timeout=2)
    except Exception as exc:
        raise ApiError(503, "not_ready", f"Kafka unreachable: {exc}") from None
    if bound := gateway_settings().ready_max_projection_lag:
        lag = await freshness.projection_lag(pool, offsets.kafka(request.app.state), partitions)
        if lag > bound:
            raise ApiError(503, "not_ready", f"the read models are {lag} ledger records behind (bound {bound})")
    return {"status": "ready"}
