"""The program document: what a shop leaves out takes README's defaults; a bad field is named by its path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from services.program import (
    DEFAULT_TASKS,
    MEMBER_DAY,
    Campaign,
    CircuitBreaker,
    Program,
    ProgramError,
    Segment,
    SpendBonus,
    TaskRule,
    Tier,
    Window,
    parse_program,
)


def test_given_an_empty_document_when_parsed_then_it_is_the_built_in_program() -> None:
    assert parse_program({}) == Program()


def test_given_no_settings_then_the_defaults_are_those_of_the_design() -> None:
    program = parse_program({})

    assert program.version == 0
    assert program.timezone == "UTC"
    assert program.points_per_unit == 1
    assert program.category_multipliers == {}
    assert program.sku_multipliers == {}
    assert [(t.name, t.threshold, t.multiplier) for t in program.tiers] == [
        ("member", 0, 1),
        ("silver", 1_000, Fraction(3, 2)),
        ("gold", 5_000, 2),
        ("diamond", 20_000, Fraction(5, 2)),
    ]
    assert program.campaigns == (Campaign("member-day", Fraction(2), days_of_month=frozenset({10})),)
    assert program.spend_bonuses == ()
    assert program.first_order_bonus == 0
    assert program.daily_cap is None
    assert program.return_window == timedelta(0)
    assert program.lot_lifetime == timedelta(days=365)
    assert program.clawback_may_go_negative is False
    assert program.circuit_breaker == CircuitBreaker(None, timedelta(days=7))


def test_given_no_tasks_then_the_default_tasks_pay_what_the_design_says() -> None:
    assert parse_program({}).tasks == {
        "signup": TaskRule(50),
        "profile_completed": TaskRule(20),
        "review": TaskRule(10),
        "share": TaskRule(10, per_day=5),
        "survey": TaskRule(20),
        "referral_purchase": TaskRule(50),
        "birthday": TaskRule(100, per_year=1),
    }


def test_given_a_version_when_parsed_then_the_program_carries_it() -> None:
    assert parse_program({}, version=7).version == 7


def test_given_decimal_strings_and_integers_then_they_are_read_as_exact_fractions() -> None:
    program = parse_program(
        {"points_per_unit": "0.1", "category_multipliers": {"books": "1.5", "gift-cards": 0, "tea": 3}},
    )

    assert program.points_per_unit == Fraction(1, 10)
    assert program.category_multipliers == {"books": Fraction(3, 2), "gift-cards": 0, "tea": 3}


def test_given_a_full_document_when_parsed_then_every_rule_is_read() -> None:
    program = parse_program(
        {
            "timezone": "Asia/Shanghai",
            "points_per_unit": "2.5",
            "sku_multipliers": {"SKU-1": "0.25"},
            "tiers": [
                {"name": "bronze", "threshold": 0},
                {"name": "platinum", "threshold": 300, "multiplier": "1.25"},
            ],
            "tier_window": {"mode": "calendar_year", "days": 365, "grace_days": 30},
            "campaigns": [
                {
                    "name": "spring",
                    "multiplier": "1.5",
                    "starts_at": "2026-03-01T00:00:00Z",
                    "ends_at": "2026-04-01T00:00:00+08:00",
                    "days_of_month": [1, 15],
                    "segment": {"tiers": ["platinum"], "tags": ["vip"], "min_orders": 1, "birthday_month": True},
                    "customers": ["ada"],
                }
            ],
            "spend_bonuses": [{"name": "big-basket", "min_amount": "500.00", "points": 100}],
            "first_order_bonus": 200,
            "daily_cap": 1_000,
            "return_window_days": 14,
            "lot_lifetime_days": 90,
            "clawback_may_go_negative": True,
            "circuit_breaker": {"max_points_per_hour": 50_000, "hold_days": 2},
        },
        version=3,
    )

    assert program.timezone == "Asia/Shanghai"
    assert program.points_per_unit == Fraction(5, 2)
    assert program.sku_multipliers == {"SKU-1": Fraction(1, 4)}
    assert program.tiers == (Tier("bronze", 0, Fraction(1)), Tier("platinum", 300, Fraction(5, 4)))
    assert program.campaigns == (
        Campaign(
            "spring",
            Fraction(3, 2),
            Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, 16, tzinfo=UTC)),
            frozenset({1, 15}),
            Segment(tiers=frozenset({"platinum"}), tags=frozenset({"vip"}), min_orders=1, birthday_month=True),
            frozenset({"ada"}),
        ),
    )
    assert program.spend_bonuses == (SpendBonus("big-basket", Fraction(500), 100),)
    assert program.first_order_bonus == 200
    assert program.daily_cap == 1_000
    assert program.return_window == timedelta(days=14)
    assert program.lot_lifetime == timedelta(days=90)
    assert program.clawback_may_go_negative is True
    assert program.circuit_breaker == CircuitBreaker(50_000, timedelta(days=2))
    assert program.version == 3


def test_given_campaigns_when_the_shop_lists_them_then_they_replace_the_member_day() -> None:
    assert parse_program({"campaigns": []}).campaigns == ()
    assert MEMBER_DAY not in parse_program({"campaigns": [{"name": "x", "multiplier": 3}]}).campaigns


def test_given_tasks_when_the_shop_names_some_then_they_merge_with_the_defaults() -> None:
    program = parse_program({"tasks": {"quiz": {"points": 30, "per_day": 2}, "review": {"points": 15}}})

    assert program.tasks == {**DEFAULT_TASKS, "review": TaskRule(15), "quiz": TaskRule(30, per_day=2)}


def test_given_a_task_set_to_zero_points_then_it_stays_in_the_program_paying_nothing() -> None:
    assert parse_program({"tasks": {"survey": {"points": 0}}}).tasks["survey"] == TaskRule(0)


def test_given_a_tier_not_in_the_program_then_its_multiplier_is_one() -> None:
    assert Program().tier_multiplier("platinum") == 1
    assert Program().tier_multiplier("diamond") == Fraction(5, 2)


BAD_DOCUMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown setting", {"bogus": 1}, "bogus"),
    ("first unknown setting by name", {"zeta": 1, "alpha": 2}, "alpha"),
    ("negative category multiplier", {"category_multipliers": {"books": "-1"}}, "category_multipliers.books"),
    ("negative SKU multiplier", {"sku_multipliers": {"SKU-9": "-0.5"}}, "sku_multipliers.SKU-9"),
    ("multiplier as a JSON float", {"category_multipliers": {"books": 1.5}}, "category_multipliers.books"),
    ("multiplier that is not a number", {"category_multipliers": {"books": "lots"}}, "category_multipliers.books"),
    ("multipliers not an object", {"category_multipliers": ["books"]}, "category_multipliers"),
    ("zero points per unit", {"points_per_unit": "0"}, "points_per_unit"),
    ("points per unit as true", {"points_per_unit": True}, "points_per_unit"),
    ("more than 4 decimals", {"points_per_unit": "1.00001"}, "points_per_unit"),
    ("unknown time zone", {"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ("empty time zone", {"timezone": ""}, "timezone"),
    ("time zone not a string", {"timezone": 8}, "timezone"),
    ("first tier not at 0", {"tiers": [{"name": "member", "threshold": 10}]}, "tiers[0].threshold"),
    ("no tiers at all", {"tiers": []}, "tiers[0].threshold"),
    (
        "thresholds not increasing",
        {"tiers": [{"name": "a", "threshold": 0}, {"name": "b", "threshold": 500}, {"name": "c", "threshold": 500}]},
        "tiers[2].threshold",
    ),
    (
        "thresholds decreasing",
        {"tiers": [{"name": "a", "threshold": 0}, {"name": "b", "threshold": 500}, {"name": "c", "threshold": 100}]},
        "tiers[2].threshold",
    ),
    ("tier names repeated", {"tiers": [{"name": "a", "threshold": 0}, {"name": "a", "threshold": 5}]}, "tiers"),
    (
        "tier multiplier zero",
        {"tiers": [{"name": "a", "threshold": 0}, {"name": "b", "threshold": 5, "multiplier": "0"}]},
        "tiers[1].multiplier",
    ),
    ("tier without a name", {"tiers": [{"threshold": 0}]}, "tiers[0].name"),
    ("tier with an unknown key", {"tiers": [{"name": "a", "threshold": 0, "perks": []}]}, "tiers[0].perks"),
    ("tiers not a list", {"tiers": {"name": "a"}}, "tiers"),
    ("tier window mode unknown", {"tier_window": {"mode": "weekly"}}, "tier_window.mode"),
    ("tier window of 0 days", {"tier_window": {"days": 0}}, "tier_window.days"),
    (
        "campaign ends before it starts",
        {
            "campaigns": [
                {
                    "name": "x",
                    "multiplier": 2,
                    "starts_at": "2026-06-08T00:00:00Z",
                    "ends_at": "2026-06-01T00:00:00Z",
                }
            ]
        },
        "campaigns[0].ends_at",
    ),
    (
        "campaign ends when it starts",
        {
            "campaigns": [
                {
                    "name": "x",
                    "multiplier": 2,
                    "starts_at": "2026-06-01T08:00:00+08:00",
                    "ends_at": "2026-06-01T00:00:00Z",
                }
            ]
        },
        "campaigns[0].ends_at",
    ),
    (
        "bad ISO time",
        {"campaigns": [{"name": "x", "multiplier": 2, "starts_at": "June 1st"}]},
        "campaigns[0].starts_at",
    ),
    (
        "time without an offset",
        {"campaigns": [{"name": "x", "multiplier": 2, "ends_at": "2026-06-01T00:00:00"}]},
        "campaigns[0].ends_at",
    ),
    ("campaign without a multiplier", {"campaigns": [{"name": "x"}]}, "campaigns[0].multiplier"),
    (
        "campaign with a negative multiplier",
        {"campaigns": [{"name": "x", "multiplier": "-2"}]},
        "campaigns[0].multiplier",
    ),
    ("campaign without a name", {"campaigns": [{"multiplier": 2}]}, "campaigns[0].name"),
    ("campaign unknown key", {"campaigns": [{"name": "x", "multiplier": 2, "colour": "red"}]}, "campaigns[0].colour"),
    (
        "day of month 32",
        {"campaigns": [{"name": "x", "multiplier": 2, "days_of_month": [10, 32]}]},
        "campaigns[0].days_of_month",
    ),
    (
        "day of month 0",
        {"campaigns": [{"name": "x", "multiplier": 2, "days_of_month": [0]}]},
        "campaigns[0].days_of_month[0]",
    ),
    (
        "segment unknown key",
        {"campaigns": [{"name": "x", "multiplier": 2, "segment": {"vip": True}}]},
        "campaigns[0].segment.vip",
    ),
    (
        "segment min orders negative",
        {"campaigns": [{"name": "x", "multiplier": 2, "segment": {"min_orders": -1}}]},
        "campaigns[0].segment.min_orders",
    ),
    (
        "segment tag empty",
        {"campaigns": [{"name": "x", "multiplier": 2, "segment": {"tags": ["vip", " "]}}]},
        "campaigns[0].segment.tags[1]",
    ),
    (
        "personal offer customers not a list",
        {"campaigns": [{"name": "x", "multiplier": 2, "customers": "ada"}]},
        "campaigns[0].customers",
    ),
    (
        "spend bonus with negative points",
        {"spend_bonuses": [{"name": "b", "min_amount": "500", "points": -100}]},
        "spend_bonuses[0].points",
    ),
    (
        "spend bonus without a minimum",
        {"spend_bonuses": [{"name": "b", "points": 100}]},
        "spend_bonuses[0].min_amount",
    ),
    (
        "spend bonus window backwards",
        {
            "spend_bonuses": [
                {
                    "name": "b",
                    "min_amount": "500",
                    "points": 100,
                    "starts_at": "2026-12-01T00:00:00Z",
                    "ends_at": "2026-11-01T00:00:00Z",
                }
            ]
        },
        "spend_bonuses[0].ends_at",
    ),
    ("first-order bonus negative", {"first_order_bonus": -1}, "first_order_bonus"),
    ("first-order bonus as true", {"first_order_bonus": True}, "first_order_bonus"),
    ("daily cap of 0", {"daily_cap": 0}, "daily_cap"),
    ("daily cap as a string", {"daily_cap": "100"}, "daily_cap"),
    ("return window negative", {"return_window_days": -1}, "return_window_days"),
    ("lots that never live", {"lot_lifetime_days": 0}, "lot_lifetime_days"),
    ("task without points", {"tasks": {"unboxing-video": {}}}, "tasks.unboxing-video.points"),
    ("task per day 0", {"tasks": {"share": {"points": 10, "per_day": 0}}}, "tasks.share.per_day"),
    ("task per year 0", {"tasks": {"birthday": {"points": 10, "per_year": 0}}}, "tasks.birthday.per_year"),
    ("task unknown key", {"tasks": {"quiz": {"points": 10, "bonus": 1}}}, "tasks.quiz.bonus"),
    ("tasks not an object", {"tasks": ["quiz"]}, "tasks"),
    ("clawback setting not a boolean", {"clawback_may_go_negative": "yes"}, "clawback_may_go_negative"),
    (
        "breaker limit of 0",
        {"circuit_breaker": {"max_points_per_hour": 0}},
        "circuit_breaker.max_points_per_hour",
    ),
    ("breaker hold negative", {"circuit_breaker": {"hold_days": -1}}, "circuit_breaker.hold_days"),
    ("breaker unknown key", {"circuit_breaker": {"limit": 5}}, "circuit_breaker.limit"),
]


@pytest.mark.parametrize(
    ("document", "path"), [(doc, path) for _, doc, path in BAD_DOCUMENTS], ids=[name for name, _, _ in BAD_DOCUMENTS]
)
def test_given_a_bad_field_when_parsed_then_invalid_program_names_its_path(document: dict[str, Any], path: str) -> None:
    with pytest.raises(ProgramError) as raised:
        parse_program(document)

    assert raised.value.path == path
    assert str(raised.value).startswith(f"{path}: ")
    assert raised.value.message


def test_given_a_document_that_is_not_an_object_then_the_whole_document_is_at_fault() -> None:
    with pytest.raises(ProgramError) as raised:
        parse_program([])  # type: ignore[arg-type]

    assert raised.value.path == "$"


def test_given_an_unknown_setting_then_the_message_lists_the_known_ones() -> None:
    with pytest.raises(ProgramError, match=r"known: .*daily_cap"):
        parse_program({"dailycap": 10})


def test_given_a_number_with_a_huge_exponent_then_it_is_refused_at_once() -> None:
    with pytest.raises(ProgramError, match="decimal number") as refused:
        parse_program({"points_per_unit": "1e-10000000"})
    assert refused.value.path == "points_per_unit"
