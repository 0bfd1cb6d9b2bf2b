"""Tier rules: the tier service's view of the shop's program (its tiers, window and time zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from services.program import ProgramError, parse_program
from services.tier.ladder import DEFAULT_RULES, Tier, TierRules


def rules_of(document: dict[str, Any]) -> TierRules:
    return TierRules.of(parse_program(document))


def test_an_empty_program_gives_the_default_tiers_window_and_time_zone() -> None:
    rules = rules_of({})
    assert rules == DEFAULT_RULES == TierRules()
    assert [(t.name, t.threshold) for t in rules.tiers] == [
        ("member", 0), ("silver", 1_000), ("gold", 5_000), ("diamond", 20_000),
    ]  # fmt: skip
    assert (rules.mode, rules.days, rules.grace_days, rules.timezone) == ("rolling", 365, 0, "UTC")


def test_a_full_tier_program_is_read_with_its_window_and_time_zone() -> None:
    document = {
        "tiers": [
            {"name": "bronze", "threshold": 0, "multiplier": "1"},
            {"name": "platinum", "threshold": 300, "multiplier": "3"},
        ],
        "tier_window": {"mode": "calendar_year", "days": 365, "grace_days": 30},
        "timezone": "Asia/Shanghai",
        "points_per_unit": "1",
    }
    assert rules_of(document) == TierRules(
        (Tier("bronze", 0), Tier("platinum", 300, Fraction(3))), "calendar_year", 365, 30, "Asia/Shanghai"
    )


def test_a_partial_window_keeps_the_defaults_of_what_it_leaves_out() -> None:
    assert rules_of({"tier_window": {"grace_days": 7}}) == TierRules(grace_days=7)


def tiers(*thresholds: Any) -> dict[str, Any]:
    return {"tiers": [{"name": f"t{i}", "threshold": t} for i, t in enumerate(thresholds)]}


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (tiers(), "tiers[0].threshold"),
        ({"tiers": "gold"}, "tiers"),
        (tiers(100, 1_000), "tiers[0].threshold"),
        (tiers(0, 1_000, 1_000), "tiers[2].threshold"),
        (tiers(0, 5_000, 1_000), "tiers[2].threshold"),
        (tiers(0, 1_000.5), "tiers[1].threshold"),
        (tiers(0, "1000"), "tiers[1].threshold"),
        (tiers(0, True), "tiers[1].threshold"),
        ({"tiers": [{"name": "member", "threshold": 0}, {"name": "member", "threshold": 10}]}, "tiers"),
        ({"tiers": [{"name": "", "threshold": 0}]}, "tiers[0].name"),
        ({"tiers": [{"threshold": 0}]}, "tiers[0].name"),
        ({"tiers": [["member", 0]]}, "tiers[0]"),
        ({"tier_window": []}, "tier_window"),
        ({"tier_window": {"mode": "monthly"}}, "tier_window.mode"),
        ({"tier_window": {"days": 0}}, "tier_window.days"),
        ({"tier_window": {"days": "365"}}, "tier_window.days"),
        ({"tier_window": {"grace_days": -1}}, "tier_window.grace_days"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": 8}, "timezone"),
    ],
)
def test_invalid_tier_settings_are_refused_with_the_path_of_the_wrong_value(
    document: dict[str, Any], path: str
) -> None:
    with pytest.raises(ProgramError) as refused:
        parse_program(document)
    assert refused.value.path == path
    assert str(refused.value).startswith(f"{path}: ")


def test_points_reach_the_highest_tier_whose_threshold_they_meet() -> None:
    assert [DEFAULT_RULES.tier_for(p).name for p in (-5, 0, 999, 1_000, 4_999, 5_000, 20_000, 10**9)] == [
        "member", "member", "member", "silver", "silver", "gold", "diamond", "diamond",
    ]  # fmt: skip


def test_a_calendar_year_window_starts_on_the_first_of_january_in_the_shops_time_zone() -> None:
    rules = TierRules(mode="calendar_year", timezone="Asia/Shanghai")
    now = datetime(2027, 6, 1, tzinfo=UTC)
    assert rules.window_start(now) == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert rules.exits_at(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert rules.window_days(now) == 365
    assert TierRules().window_days(now) == 365
