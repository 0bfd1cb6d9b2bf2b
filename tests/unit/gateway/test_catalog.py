"""The catalog at the gateway: versions kept, and each reward shown as the redeem service's parser reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.gateway.catalog import shown
from services.readmodels.folds.rewards import RewardRecord, RewardVersion, latest_of_each, next_version
from services.readmodels.postgres.rewards import Stocked

AT = datetime(2026, 6, 1, tzinfo=UTC)


def version(number: int, reward_id: str = "mug", **document: Any) -> RewardVersion:
    return RewardVersion("north", reward_id, number, AT, "admin-key:x", {"name": "Mug", "kind": "physical", **document})


def test_each_reward_keeps_its_highest_version_whatever_order_the_log_holds_them_in() -> None:
    records = [RewardRecord(version(n, reward_id), 0, i) for i, (n, reward_id) in
               enumerate([(1, "mug"), (3, "mug"), (2, "mug"), (1, "cap")])]  # fmt: skip
    assert sorted((v.reward_id, v.version) for v in latest_of_each(records)) == [("cap", 1), ("mug", 3)]
    assert (next_version(None), next_version(3)) == (1, 4)


def test_a_reward_is_shown_with_its_defaults_its_fractions_as_decimals_and_what_is_left_of_its_stock() -> None:
    week = {"percent": "20", "starts_at": "2026-06-01T00:00:00Z", "ends_at": "2026-06-08T00:00:00Z"}
    document: dict[str, Any] = {
        "points_price": 200, "cash_price_minor": 1_000, "max_points_share": "0.75", "stock": 50,
        "tiers": ["silver", "gold"], "tier_discounts": {"gold": "0.1"}, "discounts": [week], "per_customer_limit": 2,
    }  # fmt: skip
    out = shown(Stocked(version(2, **document), reserved=12))
    assert out is not None
    assert (out.points_price, out.cash_price_minor, out.max_points_share, out.stock, out.remaining) == (
        200, 1_000, "0.75", 50, 38,
    )  # fmt: skip
    assert (out.tiers, out.tier_discounts, out.discounts[0].percent, out.version) == (
        ["gold", "silver"], {"gold": "0.1"}, "20", 2,
    )  # fmt: skip


def test_a_coupon_pool_is_never_shown_and_sets_the_stock_and_a_lottery_has_its_default_price() -> None:
    coupon = shown(Stocked(version(1, kind="coupon", points_price=30, codes=["A-1", "A-2"]), reserved=5))
    assert coupon is not None
    assert (coupon.stock, coupon.remaining) == (2, 0)
    assert "A-1" not in coupon.model_dump_json()
    lottery = shown(Stocked(version(1, kind="lottery", prizes=[{"name": "cap", "weight": 1}]), reserved=0))
    assert lottery is not None
    assert (lottery.points_price, lottery.stock, lottery.remaining, lottery.prizes[0].name) == (100, None, None, "cap")


def test_a_stored_document_the_parser_no_longer_reads_is_left_out() -> None:
    assert shown(Stocked(version(1, kind="spaceship"), reserved=0)) is None
