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


TASKS = ("signup", "profile_completed", "review", "share", "share", "survey", "referral_purchase", "birthday")
TAGS = ("vip", "newsletter", "student", "wholesale")


def mixed(
    count: int, seed: int = 7, shops: int = 3, customers: int = 2_000, start: datetime | None = None
) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    """Yields (record name, key, record): mostly orders, then tasks, refunds of earlier orders and
    profile updates, as a live shop sends them."""
    rng = random.Random(seed)
    paid: list[dict[str, Any]] = []
    for key, order_record in orders(count, seed, shops, customers, 0.01, start):
        roll = rng.random()
        if roll < 0.70 or not paid:
            paid.append(order_record)
            del paid[:-1000]
            yield "OrderPaid", key, order_record
        elif roll < 0.85:
            yield "TaskCompleted", key, task(rng, order_record)
        elif roll < 0.92:
            refunded = rng.choice(paid)
            yield "OrderRefunded", f"{refunded['shop_id']}:{refunded['customer_id']}".encode(), refund(rng, refunded)
        elif roll < 0.97:
            yield "RedemptionRequested", key, redemption(rng, order_record)
        else:
            yield "CustomerUpdated", key, profile(rng, order_record)


def _event(rng: random.Random, about: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "shop_id": about["shop_id"],
        "customer_id": about["customer_id"],
        "occurred_at": about["occurred_at"],
    }


def task(rng: random.Random, about: dict[str, Any]) -> dict[str, Any]:
    name = rng.choice(TASKS)
    return _event(rng, about) | {"task": name, "ref": f"sku-{rng.randrange(50)}" if name == "review" else None}


def refund(rng: random.Random, order_record: dict[str, Any]) -> dict[str, Any]:
    total = int(order_record["total_minor"])
    amount = total if rng.random() < 0.5 else rng.randint(0, total)
    return _event(rng, order_record) | {
        "order_id": order_record["order_id"],
        "refund_id": f"r-{rng.getrandbits(48):x}",
        "amount_minor": amount,
        "lines": None,
    }


REWARDS = ("coffee-coupon", "coffee-coupon", "mug", "spa", "draw", "draw")


def redemption(rng: random.Random, about: dict[str, Any]) -> dict[str, Any]:
    return _event(rng, about) | {
        "redemption_id": f"rd-{rng.getrandbits(48):x}",
        "reward_id": rng.choice(REWARDS),
        "quantity": 1,
        "cash_minor": None,
        "shipping_address": None,
    }


def profile(rng: random.Random, about: dict[str, Any]) -> dict[str, Any]:
    return _event(rng, about) | {
        "tags": rng.sample(TAGS, rng.randint(0, 2)),
        "birth_month": rng.randint(1, 12),
        "birth_day": rng.randint(1, 28),
    }
