"""Redemptions over HTTP on real Kafka and PostgreSQL: requested, followed to their outcome, cancelled.

The redeem service need not run: the tests publish its outcomes themselves.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from services.common import topics
from services.gateway import partitioner
from tests.integration.gateway.conftest import (
    AT,
    admin,
    auth,
    bearer,
    customer_token,
    earned,
    produce_ledger,
    project_everything,
)
from tests.integration.gateway.records import approved, outcome, produce, produce_outcomes, redeemed
from tests.integration.gateway.test_http_api import read_back

MUG = {"customer_id": "ada", "reward_id": "mug"}


async def project(database_url: str, schema: str) -> None:
    await asyncio.to_thread(project_everything, database_url, schema)


async def ask(api: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await api.post("/v1/redemptions", json=MUG | body, headers=auth("north"))


async def test_a_request_is_on_kafka_keyed_by_its_customer_and_pending_until_its_outcome_is_projected(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    address = {"name": "Ada", "line1": "1 Loop Rd", "city": "Turin", "postal_code": "10100", "country": "IT"}
    response = await ask(api, quantity=2, cash_minor=500, shipping_address=address, redemption_id="red-1")
    assert response.status_code == 202, response.text
    assert response.json()["redemption_id"] == "red-1"
    position = response.json()["position"]
    partition = partitioner.partition(b"north:ada", 3)
    assert position.startswith(f"{topics.REDEMPTION_REQUESTS.name}:{partition}:")
    key, decoded = await asyncio.to_thread(read_back, position)
    assert (key, decoded.name) == (b"north:ada", "RedemptionRequested")
    sent = decoded.record
    assert (sent["redemption_id"], sent["reward_id"], sent["quantity"], sent["cash_minor"]) == ("red-1", "mug", 2, 500)
    assert sent["shipping_address"] is None, "personal data stays out of the log (test_personal_data)"

    pending = (await api.get("/v1/redemptions/red-1", headers=auth("north"))).json()
    assert [pending[k] for k in ("status", "reason", "quantity", "position")] == ["pending", None, 2, None]

    await asyncio.to_thread(produce_ledger, [earned(1, "ada", 500), redeemed(2, "ada", "red-1", [(1, 200)])])
    await asyncio.to_thread(produce_outcomes, [approved("ada", "red-1", 200, quantity=2, cash_minor=500,
                                                        shipping_id="ship-1", entry_id="redeem-2")])  # fmt: skip
    await project(database_url, db_schema)
    done = (await api.get("/v1/redemptions/red-1", headers=auth("north"))).json()
    assert (done["status"], done["points"], done["shipping_id"], done["cash_minor"]) == ("approved", 200, "ship-1", 500)
    assert done["position"].startswith(f"{topics.REDEMPTION_OUTCOMES.name}:{partition}:")
    balance = (await api.get("/v1/customers/ada/balance", headers=auth("north"))).json()
    assert (balance["available"], balance["redeemed"]) == (300, 200)


async def test_rejections_say_why_and_a_reversal_says_what_came_back(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    for redemption in ("red-1", "red-2"):
        assert (await ask(api, redemption_id=redemption)).status_code == 202
    await asyncio.to_thread(produce_outcomes, [
        outcome("RedemptionRejected", "ada", redemption_id="red-1", reward_id="mug", reason="out_of_stock"),
        approved("ada", "red-2", 100, code="C-7"),
        outcome("RedemptionReversed", "ada", redemption_id="red-2", points_restored=100, reason="returned"),
    ])  # fmt: skip
    await project(database_url, db_schema)
    rejected = (await api.get("/v1/redemptions/red-1", headers=auth("north"))).json()
    assert (rejected["status"], rejected["reason"], rejected["points"]) == ("rejected", "out_of_stock", 0)
    reversed_ = (await api.get("/v1/redemptions/red-2", headers=auth("north"))).json()
    assert (reversed_["status"], reversed_["reason"], reversed_["code"], reversed_["points_restored"]) == (
        "reversed", "returned", "C-7", 100,
    )  # fmt: skip


async def test_a_request_published_straight_to_kafka_is_followed_too(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    request = {"event_id": "shop-e-1", "shop_id": "north", "customer_id": "bo", "occurred_at": AT,
               "redemption_id": "red-k", "reward_id": "mug", "quantity": 3}  # fmt: skip
    await asyncio.to_thread(produce, topics.REDEMPTION_REQUESTS.name, [("RedemptionRequested", request)])
    await project(database_url, db_schema)
    followed = (await api.get("/v1/redemptions/red-k", headers=auth("north"))).json()
    assert (followed["status"], followed["customer_id"], followed["quantity"], followed["requested_at"]) == (
        "pending", "bo", 3, AT.isoformat().replace("+00:00", "Z"),
    )  # fmt: skip


async def test_a_retry_is_the_same_redemption_and_another_request_under_its_id_is_a_conflict(
    api: httpx.AsyncClient,
) -> None:
    first = await ask(api, redemption_id="red-9")
    again = await ask(api, redemption_id="red-9")
    assert (first.status_code, again.status_code) == (202, 202)
    [(_, one), (_, two)] = [await asyncio.to_thread(read_back, r.json()["position"]) for r in (first, again)]
    assert one.record["event_id"] == two.record["event_id"]
    other = await ask(api, redemption_id="red-9", quantity=2)
    assert (other.status_code, other.json()["error"]["code"]) == (409, "redemption_exists")
    generated = await ask(api)
    assert generated.status_code == 202
    assert len(generated.json()["redemption_id"]) == 32


@pytest.mark.usefixtures("shop_secrets")
async def test_only_the_shops_checkout_states_the_cash_part_a_customer_token_stating_it_is_refused(
    api: httpx.AsyncClient,
) -> None:
    ada = bearer(customer_token("north", "ada"))
    for cash in (500, 0):
        refused = await api.post("/v1/redemptions", json=MUG | {"cash_minor": cash}, headers=ada)
        assert refused.status_code == 403, refused.text
        assert (refused.json()["error"]["code"], refused.json()["error"]["details"]["field"]) == (
            "forbidden", "cash_minor",
        )  # fmt: skip
        assert "events:write" in refused.json()["error"]["message"]
    assert (await api.post("/v1/redemptions", json=MUG, headers=ada)).status_code == 202  # all in points
    checkout = await ask(api, cash_minor=500)
    assert checkout.status_code == 202
    _, sent = await asyncio.to_thread(read_back, checkout.json()["position"])
    assert sent.record["cash_minor"] == 500


async def test_unknown_redemptions_other_shops_bad_bodies_and_missing_keys_are_refused(api: httpx.AsyncClient) -> None:
    assert (await ask(api, redemption_id="red-1")).status_code == 202
    unknown = await api.get("/v1/redemptions/nope", headers=auth("north"))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_redemption")
    assert (await api.get("/v1/redemptions/red-1", headers=auth("south"))).status_code == 404
    assert (await api.get("/v1/redemptions/red-1", headers=admin("north"))).status_code == 200
    assert (await api.get("/v1/redemptions/red-1")).status_code == 401
    assert (await api.post("/v1/redemptions", json=MUG, headers=admin("north"))).status_code == 403  # no events:write
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"quantity": 0}, "quantity"), ({"cash_minor": "5"}, "cash_minor"), ({"extra": 1}, "extra"),
        ({"shipping_address": {"name": "A"}}, "shipping_address.line1"),
    ]  # fmt: skip
    for body, field in refusals:
        bad = await ask(api, **body)
        assert (bad.status_code, bad.json()["error"]["details"]["field"]) == (422, field)
    missing = await api.post("/v1/redemptions", json={"reward_id": "mug"}, headers=auth("north"))
    assert missing.json()["error"]["details"]["field"] == "customer_id"


async def test_an_admin_cancels_an_approved_redemption_and_nothing_else(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    for redemption in ("red-1", "red-2"):
        assert (await ask(api, redemption_id=redemption)).status_code == 202
    rejected = outcome("RedemptionRejected", "ada", redemption_id="red-2", reward_id="mug", reason="frozen")
    await asyncio.to_thread(produce_outcomes, [approved("ada", "red-1", 100), rejected])
    await project(database_url, db_schema)

    body = {"reason": "returned"}
    assert (await api.post("/v1/redemptions/red-1/cancel", json=body, headers=auth("north"))).status_code == 403
    assert (await api.post("/v1/redemptions/red-1/cancel", json={}, headers=admin("north"))).status_code == 422
    assert (await api.post("/v1/redemptions/nope/cancel", json=body, headers=admin("north"))).status_code == 404
    assert (await api.post("/v1/redemptions/red-1/cancel", json=body, headers=admin("south"))).status_code == 404
    refused = await api.post("/v1/redemptions/red-2/cancel", json=body, headers=admin("north"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_cancellable")

    cancelled = await api.post("/v1/redemptions/red-1/cancel", json=body, headers=admin("north"))
    assert cancelled.status_code == 202, cancelled.text
    key, decoded = await asyncio.to_thread(read_back, cancelled.json()["position"])
    assert (key, decoded.name, decoded.record["redemption_id"], decoded.record["reason"]) == (
        b"north:ada", "RedemptionCancelled", "red-1", "returned",
    )  # fmt: skip
    assert decoded.record["actor"].startswith("admin-key:")
