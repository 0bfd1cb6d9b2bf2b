"""A paid order's points, step by step as README lists them: base, weights, tier, campaigns, bonuses, cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from services.earn.earnings import Earnings, evolve
from services.earn.orders import decide_order
from services.earn.points import Line
from services.earn.validation import ContractViolation
from services.program import parse_program
from tests.unit.earn.support import (
    DEFAULT,
    MEMBER_DAY,
    MONDAY,
    earn,
    fold,
    order,
    profile,
    tier,
)

# Step 2: the base rate, per currency


@pytest.mark.parametrize(
    ("currency", "total_minor", "points"),
    [
        ("USD", 1_234, 12),  # 12.34 dollars
        ("USD", 99, 0),  # 0.99 dollars: not a whole unit
        ("USD", 100, 1),
        ("CNY", 50_000, 500),
        ("JPY", 1_234, 1_234),  # yen have no minor unit
        ("KWD", 12_345, 12),  # 12.345 dinars
        ("KWD", 1_999, 1),
        ("CLF", 123_456, 12),  # 12.3456 units
    ],
)
def test_given_the_default_rate_when_an_order_is_paid_then_it_earns_one_point_per_whole_currency_unit(
    currency: str, total_minor: int, points: int
) -> None:
    credit = earn([order(total_minor, currency)])

    assert credit.points == points
    assert credit.base_points == points
    assert credit.source_type == "OrderPaid"
    assert credit.order_id == "o-1"
    assert credit.order_total_minor == total_minor


@pytest.mark.parametrize(
    ("points_per_unit", "currency", "total_minor", "points"),
    [
        ("0.1", "USD", 1_999, 1),  # 19.99 x 0.1 = 1.999
        ("0.01", "JPY", 1_999, 19),  # one point per 100 yen
        ("2.5", "USD", 1_001, 25),  # 10.01 x 2.5 = 25.025
        ("0.3333", "KWD", 3_000, 0),  # 3 x 0.3333 = 0.9999
        (3, "KWD", 3_334, 10),  # 3.334 x 3 = 10.002
    ],
)
def test_given_a_fractional_points_per_unit_then_the_points_are_the_floor_of_the_exact_product(
    points_per_unit: str | int, currency: str, total_minor: int, points: int
) -> None:
    program = parse_program({"points_per_unit": points_per_unit})

    assert earn([order(total_minor, currency)], program).points == points


def test_given_an_unknown_currency_when_an_order_is_paid_then_it_breaks_the_contract() -> None:
    with pytest.raises(ContractViolation, match="ISO 4217"):
        decide_order(order(1_000, "XYZ"), Earnings(), DEFAULT)


@pytest.mark.parametrize(
    "bad",
    [
        order(-1),
        order(1_000, lines=[Line("s", "c", 0, 1_000)]),
        order(1_000, lines=[Line("s", "c", 1, -5)]),
    ],
    ids=["negative total", "zero quantity", "negative price"],
)
def test_given_an_order_with_negative_money_or_no_quantity_then_it_breaks_the_contract(bad: Any) -> None:
    with pytest.raises(ContractViolation):
        decide_order(bad, Earnings(), DEFAULT)


# Step 1: category and SKU weights

WEIGHTS = parse_program(
    {
        "category_multipliers": {"books": 2, "groceries": "0.5", "gift-cards": 0},
        "sku_multipliers": {"BOOK-RARE": 3, "BOOK-REMAINDER": "0.25"},
    }
)


def test_given_category_multipliers_then_each_line_weighs_the_total_by_its_share() -> None:
    lines = [Line("B-1", "books", 2, 3_000), Line("G-1", "groceries", 4, 1_000)]  # 60.00 x2, 40.00 x0.5

    credit = earn([order(10_000, lines=lines)], WEIGHTS)

    assert credit.weighted_minor == 14_000
    assert credit.points == 140


def test_given_a_sku_multiplier_then_it_wins_over_its_category() -> None:
    lines = [
        Line("BOOK-RARE", "books", 1, 5_000),
        Line("BOOK-REMAINDER", "books", 1, 4_000),
        Line("B-2", "books", 1, 1_000),
    ]

    credit = earn([order(10_000, lines=lines)], WEIGHTS)

    # 50.00 x 3 + 40.00 x 0.25 + 10.00 x 2 (its category) = 180
    assert credit.points == 180


def test_given_an_excluded_category_then_its_lines_earn_nothing() -> None:
    lines = [Line("GC-50", "gift-cards", 1, 5_000), Line("T-1", "toys", 1, 5_000)]

    assert earn([order(10_000, lines=lines)], WEIGHTS).points == 50
    assert earn([order(5_000, lines=lines[:1])], WEIGHTS).points == 0


def test_given_a_discounted_order_then_the_base_is_what_was_paid_weighted_by_the_lines() -> None:
    lines = [Line("B-1", "books", 1, 5_000), Line("T-1", "toys", 1, 5_000)]  # list price 100.00, paid 80.00

    credit = earn([order(8_000, lines=lines)], WEIGHTS)

    assert credit.weighted_minor == 12_000  # 8000 x (5000 x 2 + 5000) / 10000
    assert credit.points == 120


def test_given_an_order_without_lines_then_its_weight_is_one() -> None:
    credit = earn([order(10_000)], WEIGHTS)

    assert credit.weighted_minor == 10_000
    assert credit.points == 100


def test_given_only_free_lines_then_the_weight_is_one() -> None:
    lines = [Line("B-1", "books", 1, 0)]

    assert earn([order(10_000, lines=lines)], WEIGHTS).points == 100


def test_given_fractions_at_every_step_then_points_are_floored_once_at_the_end() -> None:
    program = parse_program({"category_multipliers": {"tea": "1.5"}})
    lines = [Line("T-1", "tea", 1, 100)]

    # 1.00 x 1.5 x 2.5 (diamond) = 3.75 -> 3; rounding after each step would give floor(1.5) x 2.5 = 2.5 -> 2
    assert earn([tier("diamond"), order(100, lines=lines)], program).points == 3
    # and on a member day 7.5 -> 7 (step-wise: 1 -> 2.5 -> 2 -> 4)
    assert earn([tier("diamond"), order(100, lines=lines, at=MEMBER_DAY)], program).points == 7


def test_given_a_weighted_base_with_a_fraction_of_a_cent_then_the_fraction_is_kept_until_the_floor() -> None:
    program = parse_program({"category_multipliers": {"tea": "1.5"}, "points_per_unit": 3})
    lines = [Line("T-1", "tea", 1, 1), Line("X-1", "other", 2, 1)]  # weight (1.5 + 2) / 3 = 7/6

    credit = earn([order(100, lines=lines)], program)

    # 1.00 x 7/6 x 3 = 3.5 -> 3
    assert credit.points == 3
    assert credit.weighted_minor == 116  # floor(700/6), recorded


# Step 3: the tier multiplier


@pytest.mark.parametrize(
    ("to_tier", "points"),
    [("member", 10), ("silver", 15), ("gold", 20), ("diamond", 25), ("platinum", 10)],
)
def test_given_the_customer_s_tier_changed_then_orders_earn_at_that_tier_s_multiplier(
    to_tier: str, points: int
) -> None:
    credit = earn([tier(to_tier), order(1_000)])

    assert credit.points == points
    assert credit.tier == to_tier
    assert (f"tier:{to_tier}", Fraction(points, 10)) in credit.multipliers


def test_given_no_tier_event_then_the_customer_earns_as_a_member() -> None:
    credit = earn([order(1_001)])

    assert credit.tier == "member"
    assert credit.multipliers == (("tier:member", Fraction(1)),)


def test_given_a_silver_customer_then_one_and_a_half_points_per_unit_round_down() -> None:
    assert earn([tier("silver"), order(1_001)]).points == 15  # 10.01 x 1.5 = 15.015


def test_given_a_later_downgrade_then_later_orders_earn_at_the_lower_tier() -> None:
    folded = fold([tier("gold"), order(1_000, order_id="a"), tier("member"), order(1_000, order_id="b")])

    assert [c.points for c in folded.earned] == [20, 10]


# Step 3: the member day, in the shop's time zone


def test_given_the_10th_of_the_month_then_the_member_day_doubles_the_points() -> None:
    credit = earn([order(1_000, at=MEMBER_DAY)])

    assert credit.points == 20
    assert ("campaign:member-day", Fraction(2)) in credit.multipliers


def test_given_another_day_then_there_is_no_member_day() -> None:
    assert earn([order(1_000, at=MONDAY)]).points == 10


@pytest.mark.parametrize(
    ("timezone", "at", "points"),
    [
        ("Asia/Shanghai", datetime(2026, 11, 9, 23, 30, tzinfo=UTC), 20),  # 07:30 on the 10th in Shanghai
        ("UTC", datetime(2026, 11, 9, 23, 30, tzinfo=UTC), 10),  # still the 9th in UTC
        ("Asia/Shanghai", datetime(2026, 11, 10, 16, 30, tzinfo=UTC), 10),  # 00:30 on the 11th in Shanghai
        ("America/New_York", datetime(2026, 11, 10, 20, 0, tzinfo=UTC), 20),  # 15:00 on the 10th
        ("America/New_York", datetime(2026, 11, 10, 3, 0, tzinfo=UTC), 10),  # 22:00 on the 9th
    ],
)
def test_given_the_shop_s_time_zone_then_the_member_day_is_the_10th_there(
    timezone: str, at: datetime, points: int
) -> None:
    assert earn([order(1_000, at=at)], parse_program({"timezone": timezone})).points == points


def test_given_the_member_day_and_a_tier_then_the_multipliers_multiply() -> None:
    assert earn([tier("gold"), order(1_000, at=MEMBER_DAY)]).points == 40


# Step 3: campaigns, their windows, segments and personal offers

SUMMER = {
    "name": "summer",
    "multiplier": 3,
    "starts_at": "2026-06-01T00:00:00Z",
    "ends_at": "2026-06-08T00:00:00Z",
}
JUNE_1 = datetime(2026, 6, 1, tzinfo=UTC)
JUNE_8 = datetime(2026, 6, 8, tzinfo=UTC)
MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("at", "points"),
    [(JUNE_1 - MS, 10), (JUNE_1, 30), (JUNE_8 - MS, 30), (JUNE_8, 10)],
    ids=["just before it starts", "as it starts", "just before it ends", "as it ends"],
)
def test_given_a_campaign_window_then_it_starts_inclusive_and_ends_exclusive(at: datetime, points: int) -> None:
    program = parse_program({"campaigns": [SUMMER]})

    assert earn([order(1_000, at=at)], program).points == points


def test_given_two_campaigns_on_the_same_day_then_both_multiply() -> None:
    program = parse_program(
        {
            "campaigns": [
                {"name": "member-day", "multiplier": 2, "days_of_month": [10]},
                {"name": "x", "multiplier": "1.5"},
            ]
        }
    )

    credit = earn([order(1_000, at=MEMBER_DAY)], program)

    assert credit.points == 30
    assert credit.multipliers == (
        ("tier:member", Fraction(1)),
        ("campaign:member-day", Fraction(2)),
        ("campaign:x", Fraction(3, 2)),
    )


def campaign(**targeting: Any) -> Any:
    return parse_program({"timezone": "Asia/Shanghai", "campaigns": [{"name": "target", "multiplier": 2, **targeting}]})


def test_given_a_campaign_for_gold_customers_then_only_gold_customers_get_it() -> None:
    program = campaign(segment={"tiers": ["gold"]})

    assert earn([tier("silver"), order(1_000)], program).points == 15
    assert earn([tier("gold"), order(1_000)], program).points == 40


def test_given_a_campaign_for_tagged_customers_then_it_follows_their_latest_profile() -> None:
    program = campaign(segment={"tags": ["vip", "staff"]})

    folded = fold(
        [
            order(1_000, order_id="a"),
            profile(tags=["vip", "newsletter"]),
            order(1_000, order_id="b"),
            profile(tags=["newsletter"]),
            order(1_000, order_id="c"),
        ],
        program,
    )

    assert [c.points for c in folded.earned] == [10, 20, 10]


@pytest.mark.parametrize(
    ("segment", "points_per_order"),
    [
        ({"min_orders": 1}, [10, 20, 20]),  # returning customers
        ({"max_orders": 0}, [20, 10, 10]),  # first order only
        ({"min_orders": 1, "max_orders": 1}, [10, 20, 10]),  # the second order
    ],
)
def test_given_a_campaign_by_order_count_then_it_counts_the_orders_before_this_one(
    segment: dict[str, int], points_per_order: list[int]
) -> None:
    folded = fold(
        [order(1_000, order_id=f"o-{i}", at=MONDAY + timedelta(hours=i)) for i in range(3)], campaign(segment=segment)
    )

    assert [c.points for c in folded.earned] == points_per_order


def test_given_a_win_back_campaign_then_it_applies_once_the_customer_has_been_away_long_enough() -> None:
    program = campaign(segment={"min_days_since_last_order": 30})
    days = [0, 10, 45]  # 10 days after the first, then 35 days after the second

    folded = fold([order(1_000, order_id=f"o-{d}", at=MONDAY + timedelta(days=d)) for d in days], program)

    assert [c.points for c in folded.earned][1:] == [10, 20]


def test_given_a_campaign_for_recent_buyers_then_it_applies_only_within_the_days_since_the_last_order() -> None:
    program = campaign(segment={"max_days_since_last_order": 7})
    days = [0, 3, 20]

    folded = fold([order(1_000, order_id=f"o-{d}", at=MONDAY + timedelta(days=d)) for d in days], program)

    assert [c.points for c in folded.earned] == [10, 20, 10]  # never ordered: not a recent buyer


def test_given_a_birthday_month_campaign_then_it_applies_in_the_customer_s_birth_month_in_the_shop_s_zone() -> None:
    program = campaign(segment={"birthday_month": True})
    may_1_in_shanghai = datetime(2026, 4, 30, 20, 0, tzinfo=UTC)
    june = datetime(2026, 6, 3, tzinfo=UTC)

    assert earn([order(1_000, at=MONDAY)], program).points == 10  # no birthday known
    assert earn([profile(birth_month=5, birth_day=14), order(1_000, at=MONDAY)], program).points == 20
    assert earn([profile(birth_month=5), order(1_000, at=may_1_in_shanghai)], program).points == 20
    assert earn([profile(birth_month=5), order(1_000, at=june)], program).points == 10


def test_given_a_personal_offer_then_only_the_named_customers_get_it() -> None:
    program = campaign(customers=["ada", "cy"])

    assert earn([order(1_000, customer="ada")], program).points == 20
    assert earn([order(1_000, customer="bo")], program).points == 10


def test_given_a_segment_with_several_conditions_then_all_must_hold() -> None:
    program = campaign(segment={"tiers": ["gold"], "tags": ["vip"]})

    assert earn([tier("gold"), order(1_000)], program).points == 20
    assert earn([profile(tags=["vip"]), order(1_000)], program).points == 10
    assert earn([tier("gold"), profile(tags=["vip"]), order(1_000)], program).points == 40


# Step 4: bonuses

BIG_BASKET = parse_program(
    {
        "spend_bonuses": [
            {
                "name": "big-basket",
                "min_amount": "500.00",
                "points": 100,
                "starts_at": "2026-05-01T00:00:00Z",
                "ends_at": "2026-06-01T00:00:00Z",
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("total_minor", "at", "points", "bonuses"),
    [
        (50_000, MONDAY, 600, (("spend:big-basket", 100),)),
        (49_999, MONDAY, 499, ()),
        (80_000, MONDAY, 900, (("spend:big-basket", 100),)),
        (50_000, datetime(2026, 6, 1, tzinfo=UTC), 500, ()),  # the window has ended
        (50_000, datetime(2026, 4, 30, 23, 59, tzinfo=UTC), 500, ()),  # not started yet
    ],
)
def test_given_a_spend_threshold_campaign_then_an_order_of_at_least_500_in_its_window_earns_100_more(
    total_minor: int, at: datetime, points: int, bonuses: tuple[tuple[str, int], ...]
) -> None:
    credit = earn([order(total_minor, at=at)], BIG_BASKET)

    assert credit.points == points
    assert credit.bonuses == bonuses
    assert credit.base_points == total_minor // 100


def test_given_a_spend_threshold_then_it_is_compared_with_what_was_paid_not_the_weighted_base() -> None:
    program = parse_program(
        {"category_multipliers": {"gift-cards": 0}, "spend_bonuses": [{"name": "b", "min_amount": 500, "points": 100}]}
    )

    credit = earn([order(50_000, lines=[Line("GC", "gift-cards", 1, 50_000)])], program)

    assert credit.points == 100


def test_given_a_bonus_on_a_member_day_then_the_bonus_is_added_after_the_multipliers() -> None:
    assert earn([order(50_000, at=datetime(2026, 5, 10, tzinfo=UTC))], BIG_BASKET).points == 1_100


def test_given_a_first_order_bonus_then_only_the_first_order_gets_it() -> None:
    program = parse_program({"first_order_bonus": 200})

    folded = fold([order(1_000, order_id="a"), order(1_000, order_id="b")], program)

    assert [c.points for c in folded.earned] == [210, 10]
    assert folded.earned[0].bonuses == (("first_order", 200),)
    assert folded.earned[1].bonuses == ()


def test_given_no_first_order_bonus_configured_then_the_first_order_earns_only_its_base() -> None:
    assert earn([order(1_000)]).bonuses == ()


# Step 5: the daily cap

CAPPED = parse_program({"daily_cap": 100})


def test_given_a_daily_cap_then_points_beyond_it_are_recorded_as_capped() -> None:
    folded = fold(
        [
            order(8_000, order_id="a"),
            order(5_000, order_id="b", at=MONDAY + timedelta(hours=1)),
            order(3_000, order_id="c", at=MONDAY + timedelta(hours=2)),
        ],
        CAPPED,
    )

    assert [(c.points, c.capped_points) for c in folded.earned] == [(80, 0), (20, 30), (0, 30)]
    assert [c.base_points for c in folded.earned] == [80, 50, 30]


def test_given_a_daily_cap_then_the_next_day_starts_again() -> None:
    folded = fold([order(15_000, order_id="a"), order(15_000, order_id="b", at=MONDAY + timedelta(days=1))], CAPPED)

    assert [(c.points, c.capped_points) for c in folded.earned] == [(100, 50), (100, 50)]


def test_given_a_daily_cap_then_bonuses_count_toward_it() -> None:
    program = parse_program({"daily_cap": 100, "first_order_bonus": 50})

    credit = earn([order(8_000)], program)

    assert (credit.points, credit.capped_points) == (100, 30)


@pytest.mark.parametrize(("timezone", "second"), [("Asia/Shanghai", (100, 0)), ("UTC", (0, 100))])
def test_given_a_daily_cap_then_days_are_counted_in_the_shop_s_time_zone(
    timezone: str, second: tuple[int, int]
) -> None:
    program = parse_program({"daily_cap": 100, "timezone": timezone})
    late_evening = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)  # 22:00 on the 4th in Shanghai
    after_midnight = datetime(2026, 5, 4, 17, 0, tzinfo=UTC)  # 01:00 on the 5th in Shanghai, same UTC day

    folded = fold(
        [order(10_000, order_id="a", at=late_evening), order(10_000, order_id="b", at=after_midnight)], program
    )

    assert (folded.earned[1].points, folded.earned[1].capped_points) == second


def test_given_no_daily_cap_then_nothing_is_capped() -> None:
    credit = earn([order(10_000_000)])

    assert (credit.points, credit.capped_points) == (100_000, 0)


# The order itself


def test_given_the_same_order_event_again_then_nothing_more_is_earned() -> None:
    paid = order(1_000)
    state = Earnings()
    for event in decide_order(paid, state, DEFAULT):
        state = evolve(state, event, DEFAULT)

    assert decide_order(paid, state, DEFAULT) == []


def test_given_an_order_paid_again_under_another_event_id_then_it_breaks_the_contract() -> None:
    state = fold([order(1_000, order_id="a")]).state

    with pytest.raises(ContractViolation, match="already paid"):
        decide_order(order(1_000, order_id="a"), state, DEFAULT)


def test_given_orders_then_the_customer_s_record_counts_them_and_remembers_the_last() -> None:
    later = MONDAY + timedelta(days=2)

    state = fold([order(1_000, order_id="a", at=later), order(2_000, order_id="b", at=MONDAY)]).state

    assert state.orders == 2
    assert state.last_order_at == later  # an older order arriving late does not move it back
    assert state.lifetime_earned == 30
