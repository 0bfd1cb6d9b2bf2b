"""A rule-heavy program for demo traffic, the correctness gate and the benchmark: every kind of rule on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from services.common import kafka, topics
from services.common.codec import Codec
from services.program import parse_program

RULE_HEAVY: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "points_per_unit": "1",
    "category_multipliers": {"electronics": "0.5", "beauty": "2", "books": "1.5", "grocery": "0"},
    "sku_multipliers": {"sku-7": "3", "sku-42": "2.5"},
    "campaigns": [
        {"name": "member-day", "multiplier": "2", "days_of_month": [10]},
        {"name": "weekend-of-books", "multiplier": "1.25", "days_of_month": [3, 4, 17, 18]},
        {"name": "loyal-comeback", "multiplier": "1.5", "segment": {"min_orders": 3, "min_days_since_last_order": 2}},
    ],
    "spend_bonuses": [{"name": "big-basket", "min_amount": "300", "points": 100}],
    "first_order_bonus": 50,
    "daily_cap": 2_000,
    "return_window_days": 14,
}


DEMO = RULE_HEAVY | {"return_window_days": 0, "balance_thresholds": [500, 1000]}
"""The demo shop's program: the rule-heavy one, with points available at once so redemptions happen."""

DEMO_CATALOG: dict[str, dict[str, Any]] = {
    "coffee-coupon": {"name": "Free coffee", "kind": "coupon", "points_price": 150, "per_customer_limit": 5},
    "mug": {"name": "Mug", "kind": "physical", "points_price": 400, "stock": 300, "tier_discounts": {"gold": "0.1"}},
    "spa": {"name": "Spa afternoon", "kind": "service", "points_price": 2_000, "tiers": ["gold", "diamond"]},
    "draw": {"name": "Weekly draw", "kind": "lottery", "points_price": 100,
             "prizes": [{"name": "headphones", "weight": 1}, {"name": "coupon-5", "weight": 9},
                        {"name": "nothing", "weight": 90}]},
}  # fmt: skip


def publish_catalog(shop: str, catalog: dict[str, dict[str, Any]], version: int = 1) -> None:
    """Publishes each reward of `catalog` as version `version` (for demos)."""
    codec, producer = Codec(), kafka.producer()
    now = datetime.now(UTC)
    for reward_id, document in catalog.items():
        record = {"shop_id": shop, "reward_id": reward_id, "version": version, "configured_at": now,
                  "actor": "loadgen", "reward": json.dumps(document)}  # fmt: skip
        producer.produce(
            topics.REWARDS.name, codec.encode("RewardConfigured", record), topics.reward_key(shop, reward_id)
        )
    producer.flush(30)


def publish(shops: list[str], rules: dict[str, Any], effective_from: datetime | None = None, version: int = 1) -> None:
    """Publishes `rules` as version `version` of each shop's program (for benchmarks and demos); refuses
    with `ProgramError`, as the gateway does, a document the services would skip."""
    parse_program(rules, version)
    codec, producer = Codec(), kafka.producer()
    now = datetime.now(UTC)
    for shop in shops:
        record = {
            "shop_id": shop,
            "version": version,
            "effective_from": effective_from or datetime(2000, 1, 1, tzinfo=UTC),
            "configured_at": now,
            "actor": "loadgen",
            "rules": json.dumps(rules),
        }
        producer.produce(
            topics.PROGRAMS.name, codec.encode("ProgramConfigured", record), topics.program_key(shop, version)
        )
    producer.flush(30)
