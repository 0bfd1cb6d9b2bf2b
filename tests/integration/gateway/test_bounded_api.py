"""Over HTTP, on real Kafka and PostgreSQL: an id, text, amount or time beyond the contract's limits is a 422
naming the field, and nothing of the request reaches Kafka."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from confluent_kafka import TopicPartition

from services.common import kafka, topics
from tests.integration.gateway.conftest import admin, auth


def order(**changes: Any) -> dict[str, Any]:
    line = {"sku": "tea", "category": "grocery", "quantity": 1, "unit_price_minor": 1200}
    return {"type": "OrderPaid", "event_id": "e-1", "shop_id": "north", "customer_id": "ada",
            "occurred_at": "2026-11-10T10:00:00Z", "order_id": "o-1", "currency": "JPY", "total_minor": 1200,
            "lines": [line]} | changes  # fmt: skip


def orders_on_kafka() -> int:
    consumer = kafka.consumer(None)
    try:
        ends = [consumer.get_watermark_offsets(TopicPartition(topics.ORDERS.name, p), timeout=10)[1] for p in range(3)]
    finally:
        consumer.close()
    return sum(ends)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"total_minor": 2**62}, "total_minor"), ({"customer_id": "c" * 3000}, "customer_id"),
     ({"event_id": "e" * 600_000}, "event_id"), ({"occurred_at": 10**17}, "occurred_at"),
     ({"occurred_at": -(10**16)}, "occurred_at"), ({"occurred_at": 1e17}, "occurred_at"),
     ({"lines": [{"sku": "tea", "category": "grocery", "quantity": 1, "unit_price_minor": 2**62}]},
      "lines[0].unit_price_minor")],
)  # fmt: skip
async def test_an_event_beyond_the_limits_is_a_422_naming_the_field_and_nothing_is_published(
    api: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/events", json=[order(event_id="fine"), order(**changes)], headers=auth("north"))
    assert response.status_code == 422, response.text[:300]
    assert response.json()["error"]["details"] == {"index": 1, "field": field}
    assert len(response.text) < 1000, "the answer does not echo the value"
    assert await asyncio.to_thread(orders_on_kafka) == 0


async def test_an_event_at_the_limits_is_accepted(api: httpx.AsyncClient) -> None:
    longest = order(customer_id="\U0001f600" * 256, total_minor=10**13, event_id="e" * 128, order_id="o" * 128)
    response = await api.post("/v1/events", json=longest, headers=auth("north"))
    assert response.status_code == 202, response.text


async def test_a_program_effective_at_an_epoch_millisecond_beyond_the_limits_is_a_422(api: httpx.AsyncClient) -> None:
    for when in (10**17, "99999999999999999999"):
        response = await api.put(f"/v1/program?effective_from={when}", json={}, headers=admin("north"))
        assert (response.status_code, response.json()["error"]["details"]) == (422, {"field": "effective_from"})


@pytest.mark.parametrize(
    ("document", "field"),
    [({"lot_lifetime_days": 10**12}, "lot_lifetime_days"), ({"first_order_bonus": 2**70}, "first_order_bonus"),
     ({"campaigns": [{"name": "x", "multiplier": "5000"}]}, "campaigns[0].multiplier")],
)  # fmt: skip
async def test_a_program_number_beyond_the_limits_is_a_422_naming_the_field(
    api: httpx.AsyncClient, document: dict[str, Any], field: str
) -> None:
    response = await api.put("/v1/program", json=document, headers=admin("north"))
    assert (response.status_code, response.json()["error"]["details"]) == (422, {"field": field})


async def test_a_reward_number_beyond_the_limits_is_a_422_naming_the_field(api: httpx.AsyncClient) -> None:
    reward = {"name": "Mug", "kind": "physical", "points_price": 2**63}
    response = await api.put("/v1/rewards/mug", json=reward, headers=admin("north"))
    assert (response.status_code, response.json()["error"]["details"]) == (422, {"field": "points_price"})
