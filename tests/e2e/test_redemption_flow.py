"""Redemption end to end: HTTP -> earn -> redeem (stock in PostgreSQL) -> ledger and outcomes ->
projector -> HTTP, with every account operation a merchant's staff uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from services.common import topics
from services.common.settings import settings
from tests.bench import harness
from tests.conftest import ProcessFactory
from tests.e2e.test_first_slice import KEY, SHOP, order

ADMIN = {"Authorization": "Bearer demo-admin-key"}


def eventually(url: str, expect: Callable[[dict[str, Any]], bool], timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(url, headers=KEY, timeout=5)
        if response.status_code == 200 and expect(response.json()):
            return dict(response.json())
        assert time.monotonic() < deadline, f"{url} never matched: {response.status_code} {response.text}"
        time.sleep(0.3)


def redeem_has_read_the_credits(timeout_s: float = 60) -> None:
    """The read model shows the credit once the projector has it; the redeem service reads the same
    ledger on its own: a request sent before it has would be refused for insufficient points."""
    group, deadline = settings().topic_namespace + "redeem", time.monotonic() + timeout_s
    while harness.settled_lag(group, topics.LEDGER.name) > 0 or all(
        tp.offset < 0 for tp in harness.committed(group, topics.LEDGER.name)
    ):
        assert time.monotonic() < deadline, "redeem did not read the ledger"
        time.sleep(0.3)
    time.sleep(1)  # and its catalog table, refreshed between batches


def post(url: str, body: dict[str, Any] | list[Any], headers: dict[str, str] = KEY) -> dict[str, Any]:
    response = httpx.post(url, json=body, headers=headers, timeout=30)
    assert response.status_code == 202, response.text
    return dict(response.json())


def test_a_customer_redeems_cancels_is_adjusted_frozen_and_transfers_through_every_service(
    services: ProcessFactory, gateway: str
) -> None:
    assert SHOP == "demo"  # the shop of the default admin key
    for module in ("services.earn", "services.redeem", "services.projector"):
        services(module)
    reward = httpx.put(
        f"{gateway}/v1/rewards/mug", json={"name": "Mug", "kind": "physical", "points_price": 100, "stock": 1},
        headers=ADMIN, timeout=30,
    )  # fmt: skip
    assert reward.status_code == 202, reward.text
    post(f"{gateway}/v1/events", [order("e-1", "ada", 25_000), order("e-2", "bob", 30_000)])
    balance = f"{gateway}/v1/customers/ada/balance"
    eventually(balance, lambda b: b["available"] == 250)
    eventually(f"{gateway}/v1/customers/bob/balance", lambda b: b["available"] == 300)
    eventually(f"{gateway}/v1/rewards/mug", lambda r: r.get("stock") == 1)
    redeem_has_read_the_credits()

    mine = post(f"{gateway}/v1/redemptions", {"customer_id": "ada", "reward_id": "mug", "quantity": 1})
    approved = eventually(f"{gateway}/v1/redemptions/{mine['redemption_id']}", lambda r: r["status"] != "pending")
    assert approved["status"] == "approved", approved
    assert approved.get("shipping_id")
    theirs = post(f"{gateway}/v1/redemptions", {"customer_id": "bob", "reward_id": "mug", "quantity": 1})
    refused = eventually(f"{gateway}/v1/redemptions/{theirs['redemption_id']}", lambda r: r["status"] != "pending")
    assert (refused["status"], refused["reason"]) == ("rejected", "out_of_stock")
    after = eventually(balance, lambda b: b["available"] == 150)
    assert after["redeemed"] == 100

    post(f"{gateway}/v1/redemptions/{mine['redemption_id']}/cancel", {"reason": "returned"}, ADMIN)
    eventually(f"{gateway}/v1/redemptions/{mine['redemption_id']}", lambda r: r["status"] == "reversed")
    eventually(balance, lambda b: b["available"] == 250 and b["redeemed"] == 0)

    post(f"{gateway}/v1/customers/ada/adjustments", {"points": 50, "reason": "goodwill"}, ADMIN)
    eventually(balance, lambda b: b["available"] == 300)
    post(f"{gateway}/v1/transfers", {"from_customer_id": "ada", "to_customer_id": "bob", "points": 100})
    eventually(balance, lambda b: b["available"] == 200)
    eventually(f"{gateway}/v1/customers/bob/balance", lambda b: b["available"] == 400)

    post(f"{gateway}/v1/customers/ada/freeze", {"reason": "fraud check"}, ADMIN)
    eventually(balance, lambda b: b["frozen"])
    frozen = post(f"{gateway}/v1/redemptions", {"customer_id": "ada", "reward_id": "mug", "quantity": 1})
    answer = eventually(f"{gateway}/v1/redemptions/{frozen['redemption_id']}", lambda r: r["status"] != "pending")
    assert (answer["status"], answer["reason"]) == ("rejected", "frozen")
