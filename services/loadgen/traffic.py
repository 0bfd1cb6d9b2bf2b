"""Realistic order traffic: a few shops, customers with skewed activity, duplicates on purpose."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

CATEGORIES = ("apparel", "shoes", "beauty", "books", "electronics", "grocery")
CURRENCIES = (("USD", 100), ("EUR", 100), ("CNY", 100), ("JPY", 1))


def orders(
    count: int,
    seed: int = 7,
    shops: int = 3,
    customers: int = 2_000,
    duplicate_rate: float = 0.05,
    start: datetime | None = None,
) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Yields (key, OrderPaid record); about `duplicate_rate` of them repeat an earlier event."""
    rng = random.Random(seed)
    clock = start or datetime(2026, 1, 1, tzinfo=UTC)
    sent: list[tuple[bytes, dict[str, Any]]] = []
    for i in range(count):
        if sent and rng.random() < duplicate_rate:
            yield rng.choice(sent)
            continue
        clock += timedelta(seconds=rng.randint(1, 30))
        shop = f"shop-{rng.randrange(shops)}"
        # Skewed activity: a few customers order often, most rarely.
        customer = f"c{int(customers * rng.random() ** 2.5)}"
        record = order(rng, shop, customer, clock, seed, i)
        item = (f"{shop}:{customer}".encode(), record)
        sent.append(item)
        yield item


def order(rng: random.Random, shop: str, customer: str, at: datetime, seed: int, i: int) -> dict[str, Any]:
    currency, minor = rng.choice(CURRENCIES)
    lines: list[dict[str, Any]] = [
        {
            "sku": f"sku-{rng.randrange(500)}",
            "category": rng.choice(CATEGORIES),
            "quantity": rng.randint(1, 3),
            "unit_price_minor": rng.randint(1, 200) * minor + rng.randrange(minor),
        }
        for _ in range(rng.randint(1, 4))
    ]
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "shop_id": shop,
        "customer_id": customer,
        "occurred_at": at,
        "order_id": f"o-{seed}-{i}",
        "currency": currency,
        "total_minor": sum(int(line["quantity"]) * int(line["unit_price_minor"]) for line in lines),
        "lines": lines,
    }
