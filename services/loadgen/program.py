"""A rule-heavy program for demo traffic, the correctness gate and the benchmark: every kind of rule on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from services.common import kafka, topics
from services.common.codec import Codec

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


def publish(shops: list[str], rules: dict[str, Any], effective_from: datetime | None = None, version: int = 1) -> None:
    """Publishes `rules` as version `version` of each shop's program (for benchmarks and demos)."""
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
