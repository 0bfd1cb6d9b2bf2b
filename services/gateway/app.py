"""The gateway's HTTP API: builds the app, mounts one router per resource, owns the pool and producer.

It holds no domain logic: it turns HTTP into events on Kafka and reads the projections.
`create_app(database_url, schema)` overrides the settings (tests run it in-process).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

from confluent_kafka import Producer
from fastapi import FastAPI

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.gateway import errors, idempotency_doc, offsets, program_metrics, publish
from services.gateway.authentication import Authenticate
from services.gateway.deps import Resources
from services.gateway.httpmetrics import RequestMetrics
from services.gateway.nul import RefuseNul
from services.gateway.requestbody import LimitBody
from services.gateway.routes import (
    accounts,
    customers,
    events,
    health,
    keys,
    personal_data,
    program,
    redemptions,
    rewards,
    transfers,
    webhooks,
)
from services.gateway.settings import gateway_settings
from services.readmodels import postgres
from services.schema import migrations


def create_app(database_url: str | None = None, schema: str | None = None) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url, db_schema = database_url or settings().database_url, schema or postgres.configured_schema()
        pool = await postgres.create_pool(url, db_schema, min_size=1, max_size=20)
        async with pool.acquire() as conn:
            if pending := await migrations.pending(conn):
                await pool.close()
                raise RuntimeError(f"the read-model schema is behind ({', '.join(pending)}): run `pointstream migrate`")
        producer = kafka.producer(**publish.producer_settings())
        partitions = await asyncio.to_thread(ledger_partitions, producer)
        app.state.resources = Resources(pool, producer, Codec(), partitions)
        stop = threading.Event()
        polling = threading.Thread(target=poll_deliveries, args=(producer, stop), name="deliveries", daemon=True)
        polling.start()
        counting = asyncio.create_task(program_metrics.keep_fresh(pool, gateway_settings().program_metrics_seconds))
        try:
            yield
        finally:
            counting.cancel()
            offsets.close(app.state)
            stop.set()
            await asyncio.to_thread(polling.join)
            await asyncio.to_thread(producer.flush, 10)
            await pool.close()

    limit = gateway_settings().max_body_bytes
    refused = f"A request body is at most {limit} bytes (MAX_BODY_BYTES): a larger one is a 413 `body_too_large`."
    app = FastAPI(title="pointstream gateway", version="0.1.0", lifespan=lifespan, description=refused)
    errors.install(app)
    routers = (
        customers, accounts, personal_data, events, program, rewards, redemptions, transfers, health, webhooks, keys,
    )  # fmt: skip
    for router in (module.router for module in routers):
        app.include_router(router)
    idempotency_doc.install(app)
    app.add_middleware(RefuseNul)
    app.add_middleware(Authenticate)
    app.add_middleware(LimitBody)
    app.add_middleware(RequestMetrics)
    return app


def poll_deliveries(producer: Producer, stop: threading.Event) -> None:
    """Delivery callbacks run inside poll(): this is where the broker's acks reach waiting requests. On a thread
    of its own, so nothing else the gateway runs on threads (Kafka questions of reads that wait) holds them back."""
    while not stop.is_set():
        producer.poll(0.1)


def ledger_partitions(producer: Producer) -> int:
    """The ledger's partition count from Kafka; the configured count if Kafka cannot say yet."""
    with contextlib.suppress(Exception):
        meta = producer.list_topics(topics.LEDGER.name, timeout=5).topics.get(topics.LEDGER.name)
        if meta is not None and meta.error is None and meta.partitions:
            return len(meta.partitions)
    return settings().partitions
