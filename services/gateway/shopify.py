"""Shopify webhooks as the contract's events: `orders/paid` -> OrderPaid, `refunds/create` -> OrderRefunded.

Pure: no I/O. The events come out as the JSON `POST /v1/events` takes, so they are read and
checked by the same code. Event ids are derived from Shopify's ids, so Shopify's retries of a
webhook are duplicates downstream. Money arrives as decimal strings and becomes integer minor
units with the currency's ISO 4217 exponent; a string with more decimals than the currency has is
refused, never rounded.
Known gap: refund transactions in a currency other than the order's (multi-currency shops) are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.earn.currencies import minor_unit_exponent

Json = Mapping[str, Any]
DECIMAL = re.compile(r"(\d+)(?:\.(\d+))?")


class InvalidWebhook(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Ignored:
    reason: str
    """A short label, for the metric."""
    message: str


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signed(secret: str, body: bytes, presented: str | None) -> bool:
    """Whether `X-Shopify-Hmac-Sha256` is the body's signature, compared in constant time."""
    return presented is not None and hmac.compare_digest(signature(secret, body).encode(), presented.encode())


def same_shop(configured_domain: str, presented: str | None) -> bool:
    """Whether `X-Shopify-Shop-Domain` names the shop's configured domain (domains are case-insensitive). One
    app's secret signs the webhooks of every shop that installed it, so the signature alone does not say whose."""
    return presented is not None and hmac.compare_digest(_domain(configured_domain), _domain(presented))


def _domain(name: str) -> bytes:
    return name.strip().rstrip(".").lower().encode()


def minor_units(amount: Any, currency: str, field: str = "amount") -> int:
    """A decimal string ("12.30") in `currency` -> integer minor units (1230 for USD, 12 for "12" JPY)."""
    if (exponent := minor_unit_exponent(currency)) is None:
        raise InvalidWebhook(f"unknown ISO 4217 currency: {currency!r}", "currency")
    match = DECIMAL.fullmatch(amount) if isinstance(amount, str) else None
    if match is None:
        raise InvalidWebhook(f"{field} must be a non-negative decimal string, not {amount!r}", field)
    whole, fraction = match.group(1), (match.group(2) or "").rstrip("0")
    if len(fraction) > exponent:
        raise InvalidWebhook(f"{field} {amount} has more decimals than {currency} has ({exponent})", field)
    return int(whole + fraction.ljust(exponent, "0"))


def paid_order_id(order: Json) -> str:
    return identifier(order, "id")


def order_paid(shop_id: str, order: Json) -> dict[str, Any] | Ignored:
    order_id = identifier(order, "id")
    customer = order.get("customer")
    if not isinstance(customer, Mapping) or customer.get("id") in (None, ""):
        return Ignored("no_customer", f"order {order_id} has no customer to credit")
    if not isinstance(currency := order.get("currency"), str):
        raise InvalidWebhook("currency is required", "currency")
    return {
        "type": "OrderPaid", "event_id": f"shopify:order:{order_id}", "shop_id": shop_id,
        "customer_id": identifier(customer, "id", "customer.id"), "occurred_at": occurred_at(order),
        "order_id": order_id, "currency": currency,
        "total_minor": minor_units(order.get("total_price"), currency, "total_price"),
        "lines": [line(item, currency, item.get("quantity"), f"line_items[{i}]")
                  for i, item in enumerate(items(order, "line_items"))],
    }  # fmt: skip


def refund_order_id(refund: Json) -> str:
    return identifier(refund, "order_id")


def refunded(shop_id: str, refund: Json, customer_id: str, currency: str) -> dict[str, Any]:
    """The refund of an order paid earlier, whose customer and currency the caller remembered."""
    refund_id = identifier(refund, "id")
    lines = [
        line(entry.get("line_item") or {}, currency, entry.get("quantity"), f"refund_line_items[{i}]")
        for i, entry in enumerate(items(refund, "refund_line_items"))
    ]
    return {
        "type": "OrderRefunded", "event_id": f"shopify:refund:{refund_id}", "shop_id": shop_id,
        "customer_id": customer_id, "occurred_at": occurred_at(refund), "order_id": refund_order_id(refund),
        "refund_id": refund_id, "amount_minor": refunded_minor(refund, currency), "lines": lines or None,
    }  # fmt: skip


def refunded_minor(refund: Json, currency: str) -> int:
    """The sum of the refund's successful `refund` transactions."""
    total = 0
    for i, transaction in enumerate(items(refund, "transactions")):
        if transaction.get("kind") != "refund" or transaction.get("status") != "success":
            continue
        if transaction.get("currency", currency) != currency:
            raise InvalidWebhook(f"the order was paid in {currency}", f"transactions[{i}].currency")
        total += minor_units(transaction.get("amount"), currency, f"transactions[{i}].amount")
    return total


def line(item: Json, currency: str, quantity: Any, field: str) -> dict[str, Any]:
    sku = item.get("sku") or next((f"{k}:{item[k]}" for k in ("variant_id", "product_id", "id") if item.get(k)), "")
    return {
        "sku": sku, "category": item.get("product_type") or "uncategorized", "quantity": quantity,
        "unit_price_minor": minor_units(item.get("price"), currency, f"{field}.price"),
    }  # fmt: skip


def identifier(payload: Json, name: str, field: str | None = None) -> str:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise InvalidWebhook(f"{field or name} is required", field or name)
    return str(value)


def occurred_at(payload: Json) -> Any:
    if found := payload.get("processed_at") or payload.get("created_at"):
        return found
    raise InvalidWebhook("processed_at or created_at is required", "processed_at")


def items(payload: Json, name: str) -> list[Json]:
    found = payload.get(name) or []
    if not isinstance(found, list) or not all(isinstance(item, Mapping) for item in found):
        raise InvalidWebhook(f"{name} must be an array of objects", name)
    return found
