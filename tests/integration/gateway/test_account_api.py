"""Staff adjustments, freezes and transfers over HTTP: commands on Kafka keyed by their customer, naming the sender."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from services.common import topics
from services.gateway import partitioner
from tests.integration.gateway.conftest import admin, auth
from tests.integration.gateway.test_http_api import read_back


async def test_an_adjustment_is_published_for_the_customer_with_its_reason_and_the_admin_keys_fingerprint(
    api: httpx.AsyncClient,
) -> None:
    body = {"points": -40, "reason": "goodwill reversed", "may_go_negative": True, "adjustment_id": "adj-1"}
    response = await api.post("/v1/customers/ada/adjustments", json=body, headers=admin("north"))
    assert response.status_code == 202, response.text
    assert response.json()["adjustment_id"] == "adj-1"
    position = response.json()["position"]
    assert position.startswith(f"{topics.REDEMPTION_REQUESTS.name}:{partitioner.partition(b'north:ada', 3)}:")
    key, decoded = await asyncio.to_thread(read_back, position)
    sent = decoded.record
    assert (key, decoded.name, sent["shop_id"], sent["adjustment_id"]) == (
        b"north:ada", "AdjustmentRequested", "north", "adj-1",
    )  # fmt: skip
    assert (sent["points"], sent["reason"], sent["may_go_negative"]) == (-40, "goodwill reversed", True)
    assert sent["actor"].startswith("admin-key:")
    assert "north-admin-key" not in sent["actor"]

    again = await api.post("/v1/customers/ada/adjustments", json=body, headers=admin("north"))
    _, repeated = await asyncio.to_thread(read_back, again.json()["position"])
    assert repeated.record["event_id"] == sent["event_id"]
    generated = await api.post(
        "/v1/customers/ada/adjustments", json={"points": 5, "reason": "x"}, headers=admin("north")
    )
    assert generated.status_code == 202
    assert generated.json()["adjustment_id"] != "adj-1"


async def test_adjustments_need_an_admin_key_and_points_that_are_not_zero(api: httpx.AsyncClient) -> None:
    body = {"points": 10, "reason": "goodwill"}
    assert (await api.post("/v1/customers/ada/adjustments", json=body)).status_code == 401
    refused = await api.post("/v1/customers/ada/adjustments", json=body, headers=auth("north"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    refusals = [({"points": 0, "reason": "x"}, "points"), ({"points": 10}, "reason"),
                ({"points": 1.5, "reason": "x"}, "points"), ({"points": 10, "reason": ""}, "reason")]  # fmt: skip
    for bad, field in refusals:
        response = await api.post("/v1/customers/ada/adjustments", json=bad, headers=admin("north"))
        assert (response.status_code, response.json()["error"]["details"]["field"]) == (422, field)


async def test_freeze_and_unfreeze_are_published_with_their_reason(api: httpx.AsyncClient) -> None:
    sent = []
    for path, reason in (("freeze", "fraud check"), ("unfreeze", "cleared")):
        response = await api.post(f"/v1/customers/bo/{path}", json={"reason": reason}, headers=admin("south"))
        assert response.status_code == 202, response.text
        key, decoded = await asyncio.to_thread(read_back, response.json()["position"])
        assert (key, decoded.name, decoded.record["event_id"]) == (b"south:bo", "FreezeChanged",
                                                                   response.json()["command_id"])  # fmt: skip
        sent.append((decoded.record["frozen"], decoded.record["reason"], decoded.record["actor"][:10]))
    assert sent == [(True, "fraud check", "admin-key:"), (False, "cleared", "admin-key:")]
    assert (await api.post("/v1/customers/bo/freeze", json={}, headers=admin("south"))).status_code == 422
    assert (await api.post("/v1/customers/bo/freeze", json={"reason": "x"}, headers=auth("south"))).status_code == 403


async def test_a_transfer_is_published_keyed_by_the_sender(api: httpx.AsyncClient) -> None:
    body = {"from_customer_id": "ada", "to_customer_id": "bo", "points": 75, "transfer_id": "t-1"}
    response = await api.post("/v1/transfers", json=body, headers=auth("north"))
    assert response.status_code == 202, response.text
    assert response.json()["transfer_id"] == "t-1"
    key, decoded = await asyncio.to_thread(read_back, response.json()["position"])
    sent = decoded.record
    assert (key, decoded.name, sent["customer_id"], sent["to_customer_id"], sent["points"]) == (
        b"north:ada", "TransferRequested", "ada", "bo", 75,
    )  # fmt: skip
    assert sent["actor"].startswith("shop-key:")


async def test_a_transfer_to_oneself_or_of_no_points_or_without_a_key_is_refused(api: httpx.AsyncClient) -> None:
    body: dict[str, Any] = {"from_customer_id": "ada", "to_customer_id": "bo", "points": 5}
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"to_customer_id": "ada"}, "to_customer_id"), ({"points": 0}, "points"), ({"points": "5"}, "points"),
        ({"from_customer_id": ""}, "from_customer_id"),
    ]  # fmt: skip
    for bad, field in refusals:
        response = await api.post("/v1/transfers", json=body | bad, headers=auth("north"))
        assert (response.status_code, response.json()["error"]["details"]["field"]) == (422, field)
    assert (await api.post("/v1/transfers", json=body)).status_code == 401
    assert (await api.post("/v1/transfers", json=body, headers=admin("north"))).status_code == 202  # admin may
