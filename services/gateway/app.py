"""The gateway's HTTP API: builds the app, mounts one router per resource, owns the pool and producer.

It holds no domain logic: it turns HTTP into events on Kafka and reads the projections.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram

from services.common import kafka
from services.common.codec import Codec
from services.common.settings import settings
from services.gateway import errors, postgres
from services.gateway.routes import customers, events, health

REQUESTS = Counter("pointstream_gateway_requests_total", "HTTP requests", ["route", "method", "status"])
LATENCY = Histogram("pointstream_gateway_request_seconds", "HTTP request latency", ["route", "method"])


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await postgres.create_pool(settings().database_url, min_size=2, max_size=20)
    app.state.producer = kafka.producer()
    app.state.codec = Codec()
    polling = asyncio.create_task(poll_deliveries(app))
    yield
    polling.cancel()
    await asyncio.to_thread(app.state.producer.flush, 10)
    await app.state.pool.close()


async def poll_deliveries(app: FastAPI) -> None:
    """Delivery callbacks run inside poll(); the producer's acks reach the waiting requests here."""
    while True:
        await asyncio.to_thread(app.state.producer.poll, 0.05)


def create_app() -> FastAPI:
    app = FastAPI(title="pointstream gateway", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    for router in (customers.router, events.router, health.router):
        app.include_router(router)

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        REQUESTS.labels(route, request.method, response.status_code).inc()
        LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
        return response

    return app
