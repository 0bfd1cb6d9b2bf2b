"""Idempotency-Key on real Kafka and PostgreSQL: a retry gets the first answer, and Kafka gets one event."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from services.common import kafka, topics
from services.common.codec import Codec, Decoded
from services.common.settings import settings
from services.gateway import shopify
from services.gateway.authentication import OWN_SIGNATURE
from services.gateway.errors import ApiError
from services.gateway.idempotency import WRITES, storable
from services.gateway.publish import produce_all
from services.gateway.write_settings import write_settings
from tests.integration.gateway.conftest import admin, auth, fetch

MALFORMED = b"{not json"
EVENTS_PRODUCE = "services.gateway.routes.events.produce_all"


@pytest.fixture(autouse=True)
def fresh_write_settings() -> Iterator[None]:
    """Tests set IDEMPOTENCY_* and SHOPIFY_WEBHOOK_SECRETS; the settings are read again for each."""
    write_settings.cache_clear()
    yield
    write_settings.cache_clear()


def order(event_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "type": "OrderPaid", "event_id": event_id, "shop_id": "north", "customer_id": "ada",
        "occurred_at": "2026-11-20T10:00:00Z", "order_id": f"o-{event_id}", "currency": "USD", "total_minor": 1_000,
    } | changes  # fmt: skip


def keyed(key: str, shop: str = "north") -> dict[str, str]:
    return auth(shop) | {"Idempotency-Key": key}


def published(topic: str) -> list[tuple[bytes | None, Decoded]]:
    """Every record on the test's `topic`, as (key, decoded value)."""
    consumer, codec = kafka.consumer(None), Codec()
    try:
        partitions = [TopicPartition(topic, p, 0) for p in range(settings().partitions)]
        expected = sum(end_offset(consumer, tp) for tp in partitions)
        consumer.assign(partitions)
        found: list[tuple[bytes | None, Decoded]] = []
        while len(found) < expected and (batch := consumer.consume(expected - len(found), 5)):
            found += [(msg.key(), codec.decode(msg.value())) for msg in batch if msg.error() is None]
        return found
    finally:
        consumer.close()


def end_offset(consumer: Consumer, partition: TopicPartition) -> int:
    """A new topic's partitions may have no leader for a moment."""
    for _ in range(50):
        with contextlib.suppress(KafkaException):
            return int(consumer.get_watermark_offsets(partition, timeout=5)[1])
        time.sleep(0.1)
    return int(consumer.get_watermark_offsets(partition, timeout=5)[1])


async def orders_on_kafka() -> list[str]:
    return [decoded.record["event_id"] for _, decoded in await asyncio.to_thread(published, topics.ORDERS.name)]


async def test_a_retry_with_the_same_key_replays_the_first_answer_and_kafka_has_one_event(api: httpx.AsyncClient):
    first = await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))
    again = await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))
    assert first.status_code == 202, first.text
    assert "idempotent-replayed" not in first.headers
    assert (again.status_code, again.content, again.headers["content-type"]) == (
        202, first.content, first.headers["content-type"]
    )  # fmt: skip
    assert again.headers["idempotent-replayed"] == "true"
    assert await orders_on_kafka() == ["e-1"]


async def test_the_same_key_for_another_request_is_a_409_and_nothing_is_produced(api: httpx.AsyncClient) -> None:
    assert (await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))).status_code == 202
    for body, query in ((order("e-2"), ""), (order("e-1"), "?x=1")):
        reused = await api.post(f"/v1/events{query}", json=body, headers=keyed("k-1"))
        assert (reused.status_code, reused.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert await orders_on_kafka() == ["e-1"]


async def test_a_second_request_while_the_first_is_in_flight_is_told_to_retry(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    producing, release = asyncio.Event(), asyncio.Event()

    async def slow(*args: Any) -> list[str]:
        producing.set()
        await release.wait()
        return await produce_all(*args)

    monkeypatch.setattr(EVENTS_PRODUCE, slow)
    first = asyncio.create_task(api.post("/v1/events", json=order("e-1"), headers=keyed("k-1")))
    await asyncio.wait_for(producing.wait(), 10)
    meanwhile = await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))
    assert (meanwhile.status_code, meanwhile.headers["retry-after"]) == (409, "1")
    assert meanwhile.json()["error"]["code"] == "idempotency_key_in_progress"
    release.set()
    assert (await first).status_code == 202
    assert (await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))).headers["idempotent-replayed"]
    assert await orders_on_kafka() == ["e-1"]


async def test_concurrent_requests_with_one_key_produce_exactly_one_event(api: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(
        *(api.post("/v1/events", json=order("e-1"), headers=keyed("k-1")) for _ in range(20))
    )
    ran = [a for a in answers if a.status_code == 202 and "idempotent-replayed" not in a.headers]
    others = {(a.status_code, a.headers.get("idempotent-replayed"), a.headers.get("retry-after")) for a in answers}
    assert len(ran) == 1
    assert others <= {(202, None, None), (202, "true", None), (409, None, "1")}
    assert await orders_on_kafka() == ["e-1"]


async def test_a_5xx_answer_is_not_kept_so_the_retry_runs_again(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unavailable(*_: Any) -> list[str]:
        raise ApiError(503, "kafka_unavailable", "not acknowledged by Kafka")

    monkeypatch.setattr(EVENTS_PRODUCE, unavailable)
    assert (await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))).status_code == 503
    monkeypatch.setattr(EVENTS_PRODUCE, produce_all)
    retry = await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))
    assert (retry.status_code, retry.headers.get("idempotent-replayed")) == (202, None)
    assert await orders_on_kafka() == ["e-1"]


async def test_an_unhandled_error_releases_the_key(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_: Any) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(EVENTS_PRODUCE, broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        assert (await client.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))).status_code == 500
        again = await client.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))
    assert (again.status_code, again.headers.get("idempotent-replayed")) == (500, None)


async def test_keys_are_scoped_per_credential(api: httpx.AsyncClient) -> None:
    north = await api.post("/v1/events", json=order("e-1"), headers=keyed("same"))
    south = await api.post("/v1/events", json=order("e-2", shop_id="south"), headers=keyed("same", "south"))
    assert (north.status_code, south.status_code) == (202, 202)
    assert "idempotent-replayed" not in south.headers
    assert sorted(await orders_on_kafka()) == ["e-1", "e-2"]


async def test_refusals_a_retry_might_not_get_again_are_not_kept(api: httpx.AsyncClient) -> None:
    for _ in range(2):
        forbidden = await api.put("/v1/program", json={}, headers=keyed("k-1"))
        assert (forbidden.status_code, forbidden.headers.get("idempotent-replayed")) == (403, None)


@pytest.mark.parametrize("key", ["x" * 256, "caf\u00e9"])
async def test_an_invalid_key_is_a_400_with_the_json_error_shape(api: httpx.AsyncClient, key: str) -> None:
    headers = [("Authorization", f"Bearer {auth('north')['Authorization'][7:]}"), ("Idempotency-Key", key)]
    refused = await api.post("/v1/events", json=order("e-1"), headers=[(k.encode(), v.encode()) for k, v in headers])
    assert refused.status_code == 400
    assert refused.json()["error"] | {"message": ""} == {
        "code": "invalid_idempotency_key", "message": "", "details": {"field": "Idempotency-Key"}
    }  # fmt: skip
    assert await orders_on_kafka() == []


async def test_an_expired_key_runs_again_and_expired_keys_are_deleted(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, database_url: str, db_schema: str
) -> None:
    monkeypatch.setenv("IDEMPOTENCY_TTL_SECONDS", "0.5")
    assert (await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))).status_code == 202
    assert (await api.post("/v1/events", json=order("e-2"), headers=keyed("k-2"))).status_code == 202
    await asyncio.sleep(1)
    again = await api.post("/v1/events", json=order("e-1"), headers=keyed("k-1"))
    assert (again.status_code, again.headers.get("idempotent-replayed")) == (202, None)
    keys = await fetch(database_url, db_schema, "SELECT idempotency_key FROM idempotency_keys")
    assert [row["idempotency_key"] for row in keys] == ["k-1"]


async def test_every_write_route_honours_the_key(
    app: FastAPI, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPIFY_WEBHOOK_SECRETS", "north:north-hook-secret")
    writes = [(method, route.path) for route in iter_route_contexts(app.routes) if route.path and route.methods
              for method in sorted(route.methods & WRITES) if route.path.startswith("/v1/")
              and not route.path.startswith(OWN_SIGNATURE)]  # fmt: skip
    assert len(writes) >= 10
    for number, (method, template) in enumerate(writes):
        path = re.sub(r"\{[^}]+\}", "north", template)
        too_long = await api.request(
            method, path, content=b"{}", headers=auth("north") | {"Idempotency-Key": "x" * 256}
        )
        assert (too_long.status_code, too_long.json()["error"]["code"]) == (400, "invalid_idempotency_key"), path
        first, again = await first_and_retry(api, method, path, f"walk-{number}")
        assert first.status_code < 500, (path, first.text)
        if storable(first.status_code):
            assert (again.status_code, again.content, again.headers["idempotent-replayed"]) == (
                first.status_code, first.content, "true"
            ), path  # fmt: skip
        else:
            assert "idempotent-replayed" not in again.headers, path


async def test_a_shopify_webhook_has_no_credential_so_its_idempotency_key_is_ignored(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPIFY_WEBHOOK_SECRETS", "north:north-hook-secret")
    monkeypatch.setenv("SHOPIFY_SHOP_DOMAINS", "north:north.myshopify.com")
    signature = shopify.signature("north-hook-secret", MALFORMED)
    headers = {"Idempotency-Key": "k-1", "X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": signature,
               "X-Shopify-Shop-Domain": "north.myshopify.com"}  # fmt: skip
    answers = [await api.post("/v1/webhooks/shopify/north", content=MALFORMED, headers=headers) for _ in range(2)]
    assert [(a.status_code, a.headers.get("idempotent-replayed")) for a in answers] == [(422, None), (422, None)]


async def first_and_retry(api: httpx.AsyncClient, method: str, path: str, key: str) -> tuple[httpx.Response, ...]:
    """The same malformed request twice, with the first credential whose answer is kept (else the last)."""
    answers: tuple[httpx.Response, ...] = ()
    for credential in (auth("north"), admin("north")):
        headers = credential | {"Idempotency-Key": key}
        answers = tuple([await api.request(method, path, content=MALFORMED, headers=headers) for _ in range(2)])
        if storable(answers[0].status_code):
            break
    return answers
