"""Shopify to points through every process: a signed orders/paid earns, its refunds/create claws back."""

from __future__ import annotations

import json
from typing import Any

import httpx

from services.common.settings import pairs
from services.gateway import shopify
from services.gateway.write_settings import shop_domain, write_settings
from tests.conftest import ProcessFactory
from tests.e2e.test_first_slice import KEY, SHOP


def deliver(gateway: str, topic: str, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload).encode()
    signature = shopify.signature(pairs(write_settings().shopify_webhook_secrets)[SHOP], body)
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signature, "Content-Type": "application/json",
               "X-Shopify-Shop-Domain": shop_domain(SHOP) or ""}  # fmt: skip
    return httpx.post(f"{gateway}/v1/webhooks/shopify/{SHOP}", content=body, headers=headers, timeout=30)


def balance_after(gateway: str, position: str) -> dict[str, Any]:
    params: dict[str, str | int] = {"min_position": position, "max_wait_ms": 20_000}
    read = httpx.get(f"{gateway}/v1/customers/42/balance", params=params, headers=KEY, timeout=30)
    assert read.status_code == 200, read.text
    found: dict[str, Any] = read.json()
    return found


def test_a_paid_shopify_order_earns_and_its_refund_claws_back_once(services: ProcessFactory, gateway: str) -> None:
    for service in ("services.earn", "services.redeem", "services.tier", "services.projector"):
        services(service)
    order = {
        "id": 5001, "currency": "USD", "total_price": "120.50", "processed_at": "2026-11-20T10:00:00Z",
        "customer": {"id": 42},
        "line_items": [{"sku": "tea", "product_type": "grocery", "quantity": 2, "price": "60.25"}],
    }  # fmt: skip
    paid = deliver(gateway, "orders/paid", order)
    assert paid.status_code == 202, paid.text
    assert balance_after(gateway, paid.json()["position"])["lifetime_earned"] == 120

    refund = {
        "id": 77, "order_id": 5001, "created_at": "2026-11-21T10:00:00Z",
        "transactions": [{"kind": "refund", "status": "success", "amount": "60.25", "currency": "USD"}],
        "refund_line_items": [{"quantity": 1, "line_item": {"sku": "tea", "product_type": "grocery",
                                                             "price": "60.25"}}],
    }  # fmt: skip
    for _ in range(2):  # Shopify retries a delivery it thinks failed: the second is the same event
        refunded = deliver(gateway, "refunds/create", refund)
        assert refunded.status_code == 202, refunded.text
    after = balance_after(gateway, refunded.json()["position"])
    assert after["clawed_back"] == 60  # floor(120 x 60.25 / 120.50), once
    assert after["available"] == 60
