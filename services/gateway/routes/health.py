"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.gateway.errors import ApiError

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    try:
        await request.app.state.pool.fetchval("SELECT 1")
        await asyncio.to_thread(request.app.state.producer.list_topics, timeout=2)
    except Exception as exc:
        raise ApiError(503, "not_ready", f"a dependency is unreachable: {type(exc).__name__}") from None
    return {"status": "ready"}


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
