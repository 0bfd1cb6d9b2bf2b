"""The HTTP API on real Kafka and PostgreSQL: balances, ledgers, events, and who may see what."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from confluent_kafka import TopicPartition
from prometheus_client import generate_latest

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.jsonio import to_json
from services.gateway import partitioner
from tests.integration.gateway.conftest import AT, auth, earned, produce_ledger, project_everything

BALANCE_FIELDS = {"customer_id", "available", "pending", "lifetime_earned", "redeemed", "expired", "clawed_back",
                  "owed", "adjusted", "transferred_in", "transferred_out", "tier", "frozen", "expiring",
                  "position"}  # fmt: skip


async def project(database_url: str, schema: str, *records: dict[str, Any]) -> None:
    await asyncio.to_thread(produce_ledger, records)
    await asyncio.to_thread(project_everything, database_url, schema)


async def test_a_projected_customer_has_the_balance_the_contract_describes(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    far, near = AT + timedelta(days=3650), AT + timedelta(days=3000)
    await project(
        database_url, db_schema,
        earned(1, "ada", 100, expires_at=far), earned(2, "ada", 40, expires_at=near),
        earned(3, "ada", 25, available_at=AT + timedelta(days=3650), expires_at=far + timedelta(days=1)),
    )  # fmt: skip
    response = await api.get("/v1/customers/ada/balance", headers=auth("north"))
    assert response.status_code == 200, response.text
    balance = response.json()
    assert set(balance) == BALANCE_FIELDS
    assert (balance["available"], balance["pending"], balance["lifetime_earned"]) == (140, 25, 165)
    assert (balance["redeemed"], balance["expired"], balance["tier"], balance["frozen"]) == (0, 0, "member", False)
    assert [lot["points"] for lot in balance["expiring"]] == [40, 100, 25]
    assert balance["expiring"][0]["expires_at"].startswith(near.date().isoformat())
    assert balance["position"] == f"{partitioner.partition(b'north:ada', 3)}:3"


async def test_the_ledger_pages_newest_first_with_an_opaque_cursor(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    await project(database_url, db_schema, *(earned(i, "ada", 10 * i) for i in range(1, 6)))
    first = (await api.get("/v1/customers/ada/ledger?limit=2", headers=auth("north"))).json()
    assert [(e["entry_id"], e["balance_after"]) for e in first["entries"]] == [("entry-5", 150), ("entry-4", 100)]
    assert set(first["entries"][0]) == {"entry_id", "kind", "points", "balance_after", "reason", "source_event_id",
                                        "occurred_at"}  # fmt: skip
    second = await api.get(f"/v1/customers/ada/ledger?limit=2&cursor={first['next_cursor']}", headers=auth("north"))
    last = await api.get(f"/v1/customers/ada/ledger?cursor={second.json()['next_cursor']}", headers=auth("north"))
    assert [e["entry_id"] for e in second.json()["entries"]] == ["entry-3", "entry-2"]
    assert [e["entry_id"] for e in last.json()["entries"]] == ["entry-1"]
    assert last.json()["next_cursor"] is None


async def test_bad_paging_and_unknown_customers_are_refused_with_a_json_error(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    await project(database_url, db_schema, earned(1, "ada", 10))
    bad_cursor = await api.get("/v1/customers/ada/ledger?cursor=zzz", headers=auth("north"))
    assert (bad_cursor.status_code, bad_cursor.json()["error"]["details"]) == (400, {"field": "cursor"})
    for limit in ("0", "501", "ten"):
        bad_limit = await api.get(f"/v1/customers/ada/ledger?limit={limit}", headers=auth("north"))
        assert (bad_limit.status_code, bad_limit.json()["error"]["details"]["field"]) == (422, "limit")
    for path in ("balance", "ledger"):
        unknown = await api.get(f"/v1/customers/nobody/{path}", headers=auth("north"))
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_customer")


async def test_a_key_sees_only_its_own_shops_customers(api: httpx.AsyncClient, database_url: str, db_schema: str):
    await project(database_url, db_schema, earned(1, "ada", 10, shop="north"), earned(2, "bo", 99, shop="south"))
    assert (await api.get("/v1/customers/ada/balance", headers=auth("north"))).json()["available"] == 10
    assert (await api.get("/v1/customers/ada/balance", headers=auth("south"))).status_code == 404
    assert (await api.get("/v1/customers/ada/ledger", headers=auth("south"))).status_code == 404
    assert (await api.get("/v1/customers/bo/balance", headers=auth("north"))).status_code == 404


async def test_a_missing_or_wrong_key_is_a_401_with_the_json_error_shape(api: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic north-key"}):
        response = await api.get("/v1/customers/ada/balance", headers=headers)
        assert response.status_code == 401
        assert set(response.json()["error"]) == {"code", "message", "details"}
        assert response.headers["www-authenticate"] == "Bearer"
    assert (await api.post("/v1/events", json=order("e-1"), headers={"Authorization": "Bearer x"})).status_code == 401


def order(event_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "type": "OrderPaid", "event_id": event_id, "shop_id": "north", "customer_id": "ada",
        "occurred_at": "2026-11-20T10:00:00Z", "order_id": f"o-{event_id}", "currency": "USD", "total_minor": 12_345,
        "lines": [{"sku": "tea", "category": "grocery", "quantity": 1, "unit_price_minor": 12_345}],
    } | changes  # fmt: skip


def read_back(position: str) -> tuple[bytes | None, Any]:
    topic, partition, offset = position.rsplit(":", 2)
    consumer = kafka.consumer(None)
    consumer.assign([TopicPartition(topic, int(partition), int(offset))])
    try:
        [msg] = consumer.consume(1, 10)
        return msg.key(), Codec().decode(msg.value())
    finally:
        consumer.close()


async def test_posted_events_are_on_kafka_as_avro_that_decodes_back_to_the_same_events(api: httpx.AsyncClient):
    task = {"type": "TaskCompleted", "event_id": "t-1", "shop_id": "north", "customer_id": "bo",
            "occurred_at": "2026-11-20T10:00:00+00:00", "task": "review", "ref": "tea"}  # fmt: skip
    response = await api.post("/v1/events", json=[order("e-1"), task], headers=auth("north"))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2
    for event, position, topic, key in zip(
        (order("e-1"), task), body["positions"], (topics.ORDERS, topics.TASKS), (b"north:ada", b"north:bo"), strict=True
    ):
        assert position.startswith(f"{topic.name}:{partitioner.partition(key, 3)}:")
        got_key, decoded = await asyncio.to_thread(read_back, position)
        assert (got_key, decoded.name) == (key, event["type"])
        assert to_json(decoded.record) == {k: v for k, v in event.items() if k != "type"} | {
            "occurred_at": "2026-11-20T10:00:00+00:00"
        }


async def test_events_for_another_shop_or_breaking_the_contract_are_refused_before_any_is_produced(
    api: httpx.AsyncClient,
) -> None:
    other = await api.post("/v1/events", json=[order("e-1"), order("e-2", shop_id="south")], headers=auth("north"))
    assert (other.status_code, other.json()["error"]["details"]["index"]) == (403, 1)
    invalid = await api.post("/v1/events", json=order("e-3", total_minor="ten"), headers=auth("north"))
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (422, "invalid_event")
    missing = await api.post("/v1/events", json={k: v for k, v in order("e-4").items() if k != "currency"},
                             headers=auth("north"))  # fmt: skip
    assert missing.json()["error"]["details"] == {"index": 0, "field": "currency"}
    assert (await api.post("/v1/events", json=[], headers=auth("north"))).status_code == 400
    assert (await api.post("/v1/events", content=b"{not json", headers=auth("north"))).status_code == 422


async def test_health_readiness_metrics_and_the_openapi_document(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    assert (await api.get("/readyz")).json() == {"status": "ready"}
    await api.get("/v1/customers/someone/balance")
    assert (await api.get("/metrics")).status_code == 404, "the metrics have a port of their own"
    metrics = generate_latest().decode()
    assert 'route="/v1/customers/{customer_id}/balance",status="401"' in metrics
    assert "pointstream_gateway_request_seconds_bucket" in metrics
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert {
        "/v1/events",
        "/v1/customers/{customer_id}/balance",
        "/v1/customers/{customer_id}/ledger",
        "/v1/rewards",
        "/v1/rewards/{reward_id}",
        "/v1/redemptions",
        "/v1/redemptions/{redemption_id}",
        "/v1/redemptions/{redemption_id}/cancel",
        "/v1/customers/{customer_id}/adjustments",
        "/v1/customers/{customer_id}/freeze",
        "/v1/customers/{customer_id}/unfreeze",
        "/v1/transfers",
    } <= set(paths)


async def test_text_with_the_nul_character_is_a_400_wherever_it_is_and_nothing_is_stored(
    api: httpx.AsyncClient,
) -> None:
    attempts = [
        api.get("/v1/customers/a%00b/balance", headers=auth("north")),
        api.get("/v1/customers/ada/ledger", params={"cursor": "a\x00"}, headers=auth("north")),
        api.post("/v1/redemptions", json={"customer_id": "a\x00", "reward_id": "mug"}, headers=auth("north")),
        api.post("/v1/events", content=b'{"type": "OrderPaid", "customer_id": "a\\u0000"}', headers=auth("north")),
    ]
    for attempt, field in zip(attempts, ("path", "query", "body", "body"), strict=True):
        response = await attempt
        assert response.status_code == 400, response.text
        assert response.json()["error"]["details"] == {"field": field}
