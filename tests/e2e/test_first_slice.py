"""The first slice end to end: HTTP -> shop.orders -> earn -> loyalty.ledger -> projector -> HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.common.settings import settings
from tests.conftest import ProcessFactory

KEY = {"Authorization": f"Bearer {settings().shop_api_keys.split(',')[0].split(':', 1)[1]}"}
SHOP = settings().shop_api_keys.split(",")[0].split(":", 1)[0]


def order(event_id: str, customer: str, total_minor: int, currency: str = "USD") -> dict[str, Any]:
    return {
        "type": "OrderPaid",
        "event_id": event_id,
        "shop_id": SHOP,
        "customer_id": customer,
        "occurred_at": "2026-11-20T10:00:00Z",
        "order_id": f"o-{event_id}",
        "currency": currency,
        "total_minor": total_minor,
        "lines": [{"sku": "tea", "category": "grocery", "quantity": 1, "unit_price_minor": total_minor}],
    }


def eventually(url: str, expect: Any, timeout_s: float = 40) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(url, headers=KEY, timeout=5)
        if expect(response):
            return response
        assert time.monotonic() < deadline, f"{url} never matched: {response.status_code} {response.text}"
        time.sleep(0.25)


def test_orders_published_over_http_become_a_balance_and_a_ledger_at_the_gateway(
    services: ProcessFactory, gateway: str
) -> None:
    services("services.earn")
    services("services.projector")
    batch = [order("e-1", "ada", 12_345), order("e-2", "ada", 5_000, "JPY"), order("e-1", "ada", 12_345)]
    published = httpx.post(f"{gateway}/v1/events", json=batch, headers=KEY, timeout=30)
    assert published.status_code == 202, published.text
    assert published.json()["accepted"] == 3

    balance = eventually(
        f"{gateway}/v1/customers/ada/balance", lambda r: r.status_code == 200 and r.json()["available"] == 5_123
    ).json()
    assert balance["lifetime_earned"] == 5_123
    assert balance["pending"] == 0
    assert balance["tier"] == "member"
    assert [lot["points"] for lot in balance["expiring"]] == [123, 5_000]
    assert ":" in balance["position"]

    ledger = httpx.get(f"{gateway}/v1/customers/ada/ledger?limit=1", headers=KEY).json()
    [newest] = ledger["entries"]
    assert (newest["kind"], newest["points"], newest["balance_after"]) == ("earned", 5_000, 5_123)
    older = httpx.get(f"{gateway}/v1/customers/ada/ledger?cursor={ledger['next_cursor']}", headers=KEY).json()
    assert [(e["points"], e["balance_after"], e["source_event_id"]) for e in older["entries"]] == [(123, 123, "e-1")]
    assert older["next_cursor"] is None


def test_the_gateway_refuses_bad_input_and_strangers_with_a_reason(gateway: str) -> None:
    assert httpx.get(f"{gateway}/v1/customers/ada/balance").status_code == 401
    wrong = httpx.get(f"{gateway}/v1/customers/ada/balance", headers={"Authorization": "Bearer nope"})
    assert wrong.json()["error"]["code"] == "unauthenticated"
    unknown = httpx.get(f"{gateway}/v1/customers/nobody/balance", headers=KEY)
    assert unknown.status_code == 404
    negative = httpx.post(f"{gateway}/v1/events", json={**order("e-9", "ada", 1), "total_minor": "ten"}, headers=KEY)
    assert negative.status_code == 422
    assert negative.json()["error"]["details"]["index"] == 0
    other_shop = httpx.post(f"{gateway}/v1/events", json={**order("e-9", "ada", 1), "shop_id": "other"}, headers=KEY)
    assert other_shop.status_code == 403
    bad_cursor = httpx.get(f"{gateway}/v1/customers/ada/ledger?cursor=zzz", headers=KEY)
    assert bad_cursor.status_code == 400
