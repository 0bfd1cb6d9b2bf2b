"""Gateway fixtures: ledger records on the test's topics, an in-process projector and API client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.gateway import postgres
from services.gateway.app import create_app
from services.gateway.projector import Projector

KEYS = {"north": "north-key", "south": "south-key"}
AT = datetime(2026, 5, 1, tzinfo=UTC)


def auth(shop: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[shop]}"}


@pytest.fixture(autouse=True)
def shop_keys(monkeypatch: pytest.MonkeyPatch) -> Iterable[None]:
    monkeypatch.setenv("SHOP_API_KEYS", ",".join(f"{shop}:{key}" for shop, key in KEYS.items()))
    settings.cache_clear()
    yield
    settings.cache_clear()


def earned(number: int, customer: str, points: int, shop: str = "north", **dates: datetime) -> dict[str, Any]:
    """A PointsEarned record; `available_at` and `expires_at` default to an available lot for a year."""
    return {
        "entry_id": f"entry-{number}", "shop_id": shop, "customer_id": customer, "occurred_at": AT,
        "points": points, "source_event_id": f"event-{number}", "source_type": "OrderPaid",
        "order_id": f"order-{number}", "reason": "order", "lot_id": f"entry-{number}",
        "available_at": dates.get("available_at", AT), "expires_at": dates.get("expires_at", AT + timedelta(days=3650)),
        "rule_version": 0,
    }  # fmt: skip


def produce_ledger(records: Iterable[dict[str, Any] | bytes]) -> None:
    """Onto the test's loyalty.ledger, keyed `shop:customer` like the earn service; raw bytes as they are."""
    codec, producer = Codec(), kafka.producer()
    for record in records:
        if isinstance(record, bytes):
            producer.produce(topics.LEDGER.name, record, b"north:garbage")
        else:
            key = topics.customer_key(record["shop_id"], record["customer_id"])
            producer.produce(topics.LEDGER.name, codec.encode("PointsEarned", record), key)
        producer.poll(0)
    assert producer.flush(30) == 0


def project_everything(database_url: str, schema: str, timeout_s: float = 20) -> None:
    """Runs a projector until its stored positions reach the ledger's end, then closes it."""
    projector = Projector(database_url, schema)
    projector.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not caught_up(projector):
            assert time.monotonic() < deadline, "the projector did not catch up"
            projector.step()
    finally:
        projector.close()


def caught_up(projector: Projector) -> bool:
    stored = projector.loop.run_until_complete(postgres.positions(projector.conn, projector.topic))
    ends = [projector.consumer.get_watermark_offsets(tp, timeout=5)[1] for tp in ledger_partitions()]
    return all(stored.get(p, 0) >= end for p, end in enumerate(ends))


def ledger_partitions() -> list[Any]:
    from confluent_kafka import TopicPartition

    return [TopicPartition(topics.LEDGER.name, p) for p in range(settings().partitions)]


@pytest.fixture
async def api(namespace: str, database_url: str, db_schema: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(database_url, db_schema)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


async def fetch(database_url: str, schema: str, sql: str) -> list[asyncpg.Record]:
    conn = await postgres.connect(database_url, schema)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)
