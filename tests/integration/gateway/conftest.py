"""Gateway fixtures: ledger, tier and program records on the test's topics, an in-process projector and API client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.gateway.app import create_app
from services.gateway.settings import gateway_settings
from services.projector.projector import Projector
from services.readmodels import postgres

KEYS = {"north": "north-key", "south": "south-key"}
ADMIN_KEYS = {"north": "north-admin-key", "south": "south-admin-key"}
AT = datetime(2026, 5, 1, tzinfo=UTC)


def auth(shop: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[shop]}"}


def admin(shop: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEYS[shop]}"}


@pytest.fixture(autouse=True)
def shop_keys(monkeypatch: pytest.MonkeyPatch) -> Iterable[None]:
    monkeypatch.setenv("SHOP_API_KEYS", ",".join(f"{shop}:{key}" for shop, key in KEYS.items()))
    monkeypatch.setenv("ADMIN_API_KEYS", ",".join(f"{shop}:{key}" for shop, key in ADMIN_KEYS.items()))
    settings.cache_clear()
    gateway_settings.cache_clear()
    yield
    settings.cache_clear()
    gateway_settings.cache_clear()


def earned(number: int, customer: str, points: int, shop: str = "north", **dates: datetime) -> dict[str, Any]:
    """A PointsEarned record; `available_at` and `expires_at` default to an available lot for a year."""
    return {
        "entry_id": f"entry-{number}", "shop_id": shop, "customer_id": customer, "occurred_at": AT,
        "points": points, "source_event_id": f"event-{number}", "source_type": "OrderPaid",
        "order_id": f"order-{number}", "reason": "order", "lot_id": f"entry-{number}",
        "available_at": dates.get("available_at", AT), "expires_at": dates.get("expires_at", AT + timedelta(days=3650)),
        "rule_version": 0,
    }  # fmt: skip


def clawed_back(number: int, customer: str, points: int, lot: int | None, **changes: Any) -> dict[str, Any]:
    """A PointsClawedBack record taking `points` back from the order that opened lot `entry-{lot}`."""
    return {
        "entry_id": f"clawback-{number}", "shop_id": "north", "customer_id": customer, "occurred_at": AT,
        "points": points, "source_event_id": f"refund-event-{number}", "order_id": f"order-{lot}",
        "refund_id": f"refund-{number}", "reason": "refund", "lot_id": None if lot is None else f"entry-{lot}",
        "earned_entry_id": None if lot is None else f"entry-{lot}", "refunded_minor": 100, "rule_version": 0,
        "qualifying": True, "may_go_negative": False,
    } | changes  # fmt: skip


def tier_changed(customer: str, to_tier: str, qualifying_points: int, **changes: Any) -> dict[str, Any]:
    return {
        "shop_id": "north", "customer_id": customer, "occurred_at": AT, "from_tier": "member", "to_tier": to_tier,
        "reason": "qualifying points reached the threshold", "qualifying_points": qualifying_points,
    } | changes  # fmt: skip


def produce_ledger(records: Iterable[dict[str, Any] | tuple[str, dict[str, Any]] | bytes]) -> None:
    """Onto the test's loyalty.ledger, keyed `shop:customer` like the earn and redeem services; raw bytes as they are.

    A `(name, record)` pair is that record; a bare record with a `refund_id` is a PointsClawedBack,
    any other a PointsEarned.
    """
    codec, producer = Codec(), kafka.producer()
    for record in records:
        if isinstance(record, bytes):
            producer.produce(topics.LEDGER.name, record, b"north:garbage")
            continue
        name, fields = record if isinstance(record, tuple) else (
            "PointsClawedBack" if "refund_id" in record else "PointsEarned", record
        )  # fmt: skip
        key = topics.customer_key(fields["shop_id"], fields["customer_id"])
        producer.produce(topics.LEDGER.name, codec.encode(name, fields), key)
        producer.poll(0)
    assert producer.flush(30) == 0


def produce_tiers(records: Iterable[dict[str, Any]]) -> None:
    """TierChanged records onto the test's loyalty.tiers, keyed like the tier service."""
    codec, producer = Codec(), kafka.producer()
    for record in records:
        key = topics.customer_key(record["shop_id"], record["customer_id"])
        producer.produce(topics.TIERS.name, codec.encode("TierChanged", record), key)
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
    """Stored positions at the end of every partition of every topic the projector reads."""
    from confluent_kafka import TopicPartition

    for topic in projector.topics:
        stored = projector.loop.run_until_complete(postgres.positions(projector.conn, topic))
        for p in range(settings().partitions):
            end = projector.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
            if stored.get(p, 0) < end:
                return False
    return True


@pytest.fixture
async def app(namespace: str, database_url: str, db_schema: str) -> AsyncIterator[FastAPI]:
    """The API in-process, started (pool, producer) on the test's topics and schema."""
    gateway = create_app(database_url, db_schema)
    async with gateway.router.lifespan_context(gateway):
        yield gateway


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


async def fetch(database_url: str, schema: str, sql: str) -> list[asyncpg.Record]:
    conn = await postgres.connect(database_url, schema)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


SECRETS = {"north": "north-" + "s" * 58, "south": "south-" + "s" * 58}


@pytest.fixture
def shop_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterable[dict[str, str]]:
    """SHOP_SECRETS of north and south, which sign their customer tokens."""
    monkeypatch.setenv("SHOP_SECRETS", ",".join(f"{shop}:{secret}" for shop, secret in SECRETS.items()))
    settings.cache_clear()
    yield SECRETS
    settings.cache_clear()


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def customer_token(shop: str, customer: str, ttl: int = 600, issued: int | None = None, signer: str = "") -> str:
    """A customer token signed with the secret of the shop (or of `signer`), issued now (or at `issued`)."""
    from services.gateway.tokens import issue

    token, _ = issue(shop, customer, SECRETS[signer or shop], issued or int(time.time()), ttl)
    return token


async def stored_key(api: httpx.AsyncClient, shop: str, *scopes: str, label: str = "") -> tuple[str, str]:
    """A key of the shop created through the API with its admin key: (key_id, key)."""
    response = await api.post("/v1/keys", json={"scopes": list(scopes), "label": label}, headers=admin(shop))
    assert response.status_code == 201, response.text
    return response.json()["key_id"], response.json()["key"]


@pytest.fixture(autouse=True)
def no_rate_limit(monkeypatch: pytest.MonkeyPatch) -> Iterable[None]:
    """Tests send bursts (and some retry until an answer changes); the rate limits' own tests set them."""
    monkeypatch.setenv("RATE_LIMIT_PER_SECOND", "0")
    monkeypatch.setenv("AUTH_FAILURES_PER_SECOND", "0")
    gateway_settings.cache_clear()
    yield
    gateway_settings.cache_clear()
