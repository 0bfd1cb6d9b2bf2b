"""No order, task or program within the contract's limits makes earn write a number it cannot encode or that a
sum overflows: a credit beyond one entry's limit, or beyond what a customer may earn in all, is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import limits
from services.common.codec import Codec
from services.earn import messages
from services.earn.caps import credit
from services.earn.earnings import Earnings, ShopHours, evolve_shop
from services.earn.orders import decide_order
from services.earn.points import Line
from services.earn.tasks import decide_task
from services.earn.validation import ContractViolation
from services.program import ProgramError, parse_program
from services.records import PointsEarned
from services.redeem.catalog import InvalidReward, reward_from
from tests.unit.earn.support import MEMBER_DAY, order, task

codec = Codec()
decimals = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False).map(lambda d: f"{d:f}")
positive = st.sampled_from(["1000", "999.9999", "1", "0.0001"]) | decimals.filter(lambda d: float(d) > 0)
"""Multipliers and points per unit up to the limit, its edges drawn often."""


@st.composite
def programs(draw: st.DrawFn) -> dict[str, Any]:
    """Any program document a shop may send, up to every limit."""
    gold = {"name": "gold", "threshold": draw(st.integers(1, limits.POINTS)), "multiplier": draw(positive)}
    tiers = [{"name": "member", "threshold": 0, "multiplier": draw(positive)}, gold]
    return {
        "points_per_unit": draw(positive),
        "category_multipliers": draw(st.dictionaries(st.sampled_from(["a", "b"]), decimals, max_size=2)),
        "tiers": tiers,
        "campaigns": [{"name": f"c{i}", "multiplier": m} for i, m in enumerate(draw(st.lists(positive, max_size=3)))],
        "spend_bonuses": [{"name": "big", "min_amount": draw(decimals), "points": draw(st.integers(0, limits.POINTS))}],
        "first_order_bonus": draw(st.integers(0, limits.POINTS)),
    }


lines = st.lists(
    st.builds(Line, st.just("sku"), st.sampled_from(["a", "b", "c"]), st.integers(1, limits.QUANTITY),
              st.integers(0, limits.AMOUNT)),
    max_size=3,
)  # fmt: skip


@given(
    programs(),
    st.sampled_from([0, limits.AMOUNT]) | st.integers(0, limits.AMOUNT),
    st.sampled_from(["JPY", "USD", "KWD", "CLF"]),
    lines,
    st.sampled_from(["member", "gold"]),
)
def test_given_any_order_and_program_within_the_limits_then_the_credit_encodes_or_the_order_is_refused(
    document: dict[str, Any], total: int, currency: str, order_lines: list[Line], tier: str
) -> None:
    program = parse_program(document)
    paid = order(total, currency, at=MEMBER_DAY, lines=order_lines)
    refusal: str | None = None
    try:
        [earned] = decide_order(paid, Earnings(tier=tier), program)
    except ContractViolation as exc:
        refusal = str(exc)
    if refusal is not None:
        assert "more than the 1,000,000,000,000 points one entry may carry" in refusal
        return
    assert isinstance(earned, PointsEarned)
    assert 0 <= earned.points + earned.capped_points <= limits.POINTS
    record = messages.points_earned(earned)
    assert limits.breach(record, "PointsEarned") is None
    assert codec.decode(codec.encode("PointsEarned", record)).record["points"] == earned.points


def test_an_order_at_the_largest_total_on_a_rich_program_is_refused_not_rounded_or_overflowed() -> None:
    program = parse_program(
        {"points_per_unit": "1000", "tiers": [{"name": "member", "threshold": 0, "multiplier": "2.5"}]}
    )
    with pytest.raises(ContractViolation, match="more than the 1,000,000,000,000 points one entry may carry"):
        decide_order(order(limits.AMOUNT, "JPY", at=MEMBER_DAY), Earnings(), program)


def test_a_credit_that_would_take_a_customer_beyond_what_one_may_earn_in_all_is_refused() -> None:
    near = Earnings(lifetime_earned=limits.BALANCE - 100)
    [fits] = decide_order(order(10_000), near, parse_program({}))
    assert isinstance(fits, PointsEarned)
    assert fits.points == 100
    with pytest.raises(ContractViolation, match="a customer may earn in all"):
        decide_order(order(10_100), near, parse_program({}))
    with pytest.raises(ContractViolation, match="a customer may earn in all"):
        decide_task(task("signup"), replace(near, lifetime_earned=limits.BALANCE - 1), parse_program({}))


@given(
    st.lists(st.integers(1, limits.POINTS), max_size=40).map(lambda points: [p * 10**3 for p in points]),
    st.integers(1, limits.POINTS),
    st.integers(0, limits.POINTS),
)
def test_the_hourly_count_stops_at_a_bound_and_decides_as_the_exact_count_would(
    credits: list[int], budget: int, next_points: int
) -> None:
    shop, exact = ShopHours(), 0
    at = datetime(2026, 5, 4, 12, tzinfo=UTC)
    for points in credits:
        shop = evolve_shop(shop, replace(EARNED, points=points, occurred_at=at))
        exact += points
    assert shop.issued.get("2026-05-04T12", 0) <= limits.BALANCE
    held = credit(next_points, at, Earnings(), parse_program({}), shop, budget).held is not None
    assert held == (next_points > 0 and exact + next_points > budget)


EARNED = PointsEarned(
    "e", "shop", "ada", MEMBER_DAY, 1, "src", "OrderPaid", "o", "order", "e", MEMBER_DAY,
    MEMBER_DAY + timedelta(days=365), 0,
)  # fmt: skip


@pytest.mark.parametrize(
    ("document", "path"),
    [({"lot_lifetime_days": 10**12}, "lot_lifetime_days"), ({"return_window_days": 36_601}, "return_window_days"),
     ({"first_order_bonus": 2**70}, "first_order_bonus"), ({"daily_cap": 10**12 + 1}, "daily_cap"),
     ({"points_per_unit": "1000.0001"}, "points_per_unit"),
     ({"sku_multipliers": {"TEA": "1001"}}, "sku_multipliers.TEA"),
     ({"category_multipliers": {"c" * 256: "2"}}, "category_multipliers"),
     ({"campaigns": [{"name": "x", "multiplier": "99999999999999"}]}, "campaigns[0].multiplier"),
     ({"campaigns": [{"name": "x", "multiplier": "2", "starts_at": "9999-01-01T00:00:00Z"}]}, "campaigns[0].starts_at"),
     ({"spend_bonuses": [{"name": "x", "min_amount": "1", "points": 10**13}]}, "spend_bonuses[0].points"),
     ({"tasks": {"t" * 101: {"points": 1}}}, "tasks"),
     ({"tasks": {f"t{i}": {"points": 1} for i in range(101)}}, "tasks"),
     ({"tasks": {"review": {"points": 10**12 + 1}}}, "tasks.review.points"),
     ({"tier_window": {"days": 10**10}}, "tier_window.days"),
     ({"balance_thresholds": list(range(1, 102))}, "balance_thresholds"),
     ({"transfers": {"max_per_day": 1001}}, "transfers.max_per_day"),
     ({"circuit_breaker": {"hold_days": 10**9}}, "circuit_breaker.hold_days")],
)  # fmt: skip
def test_a_program_number_list_or_name_beyond_the_limits_is_refused_naming_the_field(
    document: dict[str, Any], path: str
) -> None:
    with pytest.raises(ProgramError) as refused:
        parse_program(document)
    assert refused.value.path == path
    assert len(str(refused.value)) < 300, "the refusal does not echo the value"


@pytest.mark.parametrize(
    ("document", "path"),
    [({"points_price": 10**12 + 1}, "points_price"), ({"stock": 2**70}, "stock"),
     ({"per_customer_limit": 10**13}, "per_customer_limit"), ({"cash_price_minor": 2**63}, "cash_price_minor")],
)  # fmt: skip
def test_a_reward_number_beyond_the_limits_is_refused_naming_the_field(document: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidReward) as refused:
        reward_from({"name": "Mug", "kind": "physical", "points_price": 400} | document, "shop", "mug")
    assert refused.value.path == path
