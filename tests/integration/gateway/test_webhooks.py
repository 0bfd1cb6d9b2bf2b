"""Shopify webhooks on real Kafka and PostgreSQL: signed facts land on shop.orders, anything else does not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from services.common import topics
from services.common.settings import settings
from services.gateway import shopify
from services.gateway.write_settings import write_settings
from tests.integration.gateway.test_idempotency import published

SECRETS = {"north": "north-hook-secret", "east": "app-secret", "west": "app-secret", "nodomain": "its-secret"}
DOMAINS = {"north": "north.myshopify.com", "east": "east.myshopify.com", "west": "West.myshopify.com"}


@pytest.fixture(autouse=True)
def webhook_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """North has its own app; east and west installed one app, which signs both with its secret; south has only
    a shop secret; nodomain has a webhook secret but no Shopify domain configured."""
    monkeypatch.setenv("SHOPIFY_WEBHOOK_SECRETS", ",".join(f"{shop}:{secret}" for shop, secret in SECRETS.items()))
    monkeypatch.setenv("SHOPIFY_SHOP_DOMAINS", ",".join(f"{shop}:{domain}" for shop, domain in DOMAINS.items()))
    monkeypatch.setenv("SHOP_SECRETS", "south:south-shop-secret")
    settings.cache_clear()
    write_settings.cache_clear()
    yield
    settings.cache_clear()
    write_settings.cache_clear()


def paid(order_id: int = 1001, **changes: Any) -> dict[str, Any]:
    return {
        "id": order_id, "currency": "USD", "total_price": "120.50", "processed_at": "2026-05-01T10:00:00Z",
        "customer": {"id": 42},
        "line_items": [{"sku": "tea", "product_type": "grocery", "quantity": 2, "price": "60.25"}],
    } | changes  # fmt: skip


def refund(refund_id: int = 7, order_id: int = 1001) -> dict[str, Any]:
    return {
        "id": refund_id, "order_id": order_id, "created_at": "2026-05-02T10:00:00Z",
        "transactions": [{"kind": "refund", "status": "success", "amount": "60.25", "currency": "USD"}],
        "refund_line_items": [
            {"quantity": 1, "line_item": {"sku": "tea", "product_type": "grocery", "price": "60.25"}},
        ],
    }  # fmt: skip


async def deliver(
    api: httpx.AsyncClient, topic: str, payload: dict[str, Any], shop: str = "north", secret: str | None = None,
    domain: str | None = None,
) -> httpx.Response:  # fmt: skip
    """As Shopify sends it: the raw body signed with the shop's secret (or the one given), from its domain."""
    body = json.dumps(payload).encode()
    signature = shopify.signature(secret or SECRETS.get(shop, ""), body)
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signature, "Content-Type": "application/json",
               "X-Shopify-Shop-Domain": DOMAINS.get(shop, "") if domain is None else domain}  # fmt: skip
    return await api.post(f"/v1/webhooks/shopify/{shop}", content=body, headers=headers)


async def on_kafka() -> list[tuple[bytes | None, str, dict[str, Any]]]:
    found = await asyncio.to_thread(published, topics.ORDERS.name)
    return [(key, decoded.name, decoded.record) for key, decoded in found]


async def test_a_signed_paid_order_lands_on_shop_orders_as_an_order_paid(api: httpx.AsyncClient) -> None:
    answer = await deliver(api, "orders/paid", paid())
    assert answer.status_code == 202, answer.text
    assert answer.json()["event_id"] == "shopify:order:1001"
    assert answer.json()["position"].startswith(f"{topics.ORDERS.name}:")
    [(key, name, record)] = await on_kafka()
    assert (key, name) == (b"north:42", "OrderPaid")
    assert (record["event_id"], record["order_id"], record["total_minor"]) == ("shopify:order:1001", "1001", 12050)
    assert record["lines"] == [{"sku": "tea", "category": "grocery", "quantity": 2, "unit_price_minor": 6025}]


@pytest.mark.parametrize(
    ("shop", "secret", "drop_signature"),
    [("north", "wrong-secret", False), ("north", None, True), ("nowhere", "any", False)],
)
async def test_a_bad_or_missing_signature_or_an_unknown_shop_is_a_401_and_nothing_is_published(
    api: httpx.AsyncClient, shop: str, secret: str | None, drop_signature: bool
) -> None:
    body = json.dumps(paid()).encode()
    headers = {"X-Shopify-Topic": "orders/paid"}
    if not drop_signature:
        headers["X-Shopify-Hmac-Sha256"] = shopify.signature(secret or "", body)
    answer = await api.post(f"/v1/webhooks/shopify/{shop}", content=body, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "invalid_signature")
    assert await on_kafka() == []


async def test_a_shop_without_a_webhook_secret_refuses_webhooks_even_signed_with_its_own_secret(
    api: httpx.AsyncClient,
) -> None:
    refused = await deliver(api, "orders/paid", paid(), "south", "south-shop-secret", domain="south.myshopify.com")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_signature")
    assert await on_kafka() == []


async def test_a_webhook_the_app_signed_for_another_of_its_shops_is_refused_at_this_shops_url(
    api: httpx.AsyncClient,
) -> None:
    for domain in ("east.myshopify.com", "", "north.myshopify.com"):
        refused = await deliver(api, "orders/paid", paid(), "west", domain=domain)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "wrong_shop_domain"), domain
        assert refused.json()["error"]["details"]["field"] == "X-Shopify-Shop-Domain"
    assert await on_kafka() == []
    assert (await deliver(api, "orders/paid", paid(), "west", domain="west.myshopify.com.")).status_code == 202
    assert (await deliver(api, "orders/paid", paid(2002), "east")).status_code == 202
    assert sorted(key or b"" for key, _, _ in await on_kafka()) == [b"east:42", b"west:42"]  # two partitions: no order


async def test_a_shop_with_no_shopify_domain_configured_refuses_its_signed_webhooks(api: httpx.AsyncClient) -> None:
    refused = await deliver(api, "orders/paid", paid(), "nodomain", domain="nodomain.myshopify.com")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "shop_domain_not_configured")
    assert "SHOPIFY_SHOP_DOMAINS" in refused.json()["error"]["message"]
    assert await on_kafka() == []


async def test_a_refund_finds_the_customer_of_its_paid_order(api: httpx.AsyncClient) -> None:
    assert (await deliver(api, "orders/paid", paid())).status_code == 202
    answer = await deliver(api, "refunds/create", refund())
    assert (answer.status_code, answer.json()["event_id"]) == (202, "shopify:refund:7")
    refunded = [(key, record) for key, name, record in await on_kafka() if name == "OrderRefunded"]
    assert [(key, r["customer_id"], r["order_id"], r["amount_minor"]) for key, r in refunded] == [
        (b"north:42", "42", "1001", 6025)
    ]


async def test_a_refund_of_an_order_not_seen_yet_is_a_404_so_shopify_retries_it(api: httpx.AsyncClient) -> None:
    answer = await deliver(api, "refunds/create", refund(order_id=999))
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "unknown_order")
    assert "retry" in answer.json()["error"]["message"]
    assert await on_kafka() == []


async def test_shopifys_retries_carry_the_same_event_id_so_they_count_once(api: httpx.AsyncClient) -> None:
    for _ in range(2):
        assert (await deliver(api, "orders/paid", paid())).status_code == 202
        assert (await deliver(api, "refunds/create", refund())).status_code == 202
    ids = [record["event_id"] for _, _, record in await on_kafka()]
    assert sorted(ids) == ["shopify:order:1001"] * 2 + ["shopify:refund:7"] * 2


async def test_an_order_without_a_customer_and_its_refunds_are_ignored_and_counted(api: httpx.AsyncClient) -> None:
    before = ignored("no_customer")
    answer = await deliver(api, "orders/paid", paid(customer=None))
    assert (answer.status_code, answer.json()) == (200, {"ignored": "order 1001 has no customer to credit"})
    assert (await deliver(api, "refunds/create", refund())).status_code == 200
    assert ignored("no_customer") == before + 2
    assert await on_kafka() == []


async def test_a_topic_other_than_paid_orders_and_refunds_is_ignored(api: httpx.AsyncClient) -> None:
    answer = await deliver(api, "orders/create", paid())
    assert (answer.status_code, set(answer.json())) == (200, {"ignored"})
    assert await on_kafka() == []


async def test_a_payload_the_contract_cannot_take_is_a_422_naming_the_field(api: httpx.AsyncClient) -> None:
    answer = await deliver(api, "orders/paid", paid(total_price="12.345"))
    assert (answer.status_code, answer.json()["error"]["details"]) == (422, {"field": "total_price"})
    assert await on_kafka() == []


def ignored(reason: str) -> float:
    return REGISTRY.get_sample_value("pointstream_gateway_webhooks_ignored_total", {"reason": reason}) or 0.0
