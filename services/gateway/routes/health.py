"""Liveness, readiness (PostgreSQL and Kafka reachable) and the Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.gateway.deps import PoolDep, ProducerDep
from services.gateway.errors import ApiError
from services.gateway.responses import errors

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=errors(503))
async def readyz(pool: PoolDep, producer: ProducerDep) -> dict[str, str]:
    try:
        await pool.fetchval("SELECT 1", timeout=2)
    except Exception as exc:
        raise ApiError(503, "not_ready", f"PostgreSQL unreachable: {type(exc).__name__}") from None
    try:
        await asyncio.to_thread(producer.list_topics, timeout=2)
    except Exception as exc:
        raise ApiError(503, "not_ready", f"Kafka unreachable: {exc}") from None
    return {"status": "ready"}


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
