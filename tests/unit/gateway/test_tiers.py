"""Tiers in the read model: the fold of TierChanged, and progress under the shop's program."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.readmodel import progress
from services.gateway.readmodel.progress import Threshold, TierWindow, tier_program, window_days, window_start
from services.gateway.readmodel.tiers import TierChange, TierState, project

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def change(to_tier: str, at: datetime = NOW, customer: str = "ada", offset: int = 0) -> TierChange:
    return TierChange("shop", customer, at, "member", to_tier, "threshold", 1_200, 0, offset)


def test_a_tier_change_sets_the_tier_since_its_time_with_the_points_it_was_made_at() -> None:
    assert project({}, [change("silver")]) == {("shop", "ada"): TierState("silver", NOW, 1_200, "member", "threshold")}


def test_a_repeated_tier_change_keeps_the_time_the_tier_was_reached() -> None:
    later = NOW + timedelta(days=3)
    [state] = project({}, [change("silver"), change("silver", later), change("gold", later), change("gold")]).values()
    assert (state.tier, state.since) == ("gold", later)


def test_tier_changes_of_other_customers_are_folded_apart() -> None:
    states = project({}, [change("silver", customer="ada"), change("gold", customer="bo")])
    assert {customer: s.tier for (_, customer), s in states.items()} == {"ada": "silver", "bo": "gold"}


def test_a_program_without_tier_settings_has_the_default_thresholds_and_a_rolling_year() -> None:
    program = tier_program({})
    assert [(t.tier, t.points) for t in program.thresholds] == [
        ("member", 0), ("silver", 1_000), ("gold", 5_000), ("diamond", 20_000),
    ]  # fmt: skip
    assert (program.window, program.timezone) == (TierWindow("rolling", 365, 0), "UTC")


def test_the_programs_tiers_window_and_time_zone_are_read_from_its_document() -> None:
    rules = {
        "timezone": "Asia/Shanghai", "tier_window": {"mode": "calendar_year", "grace_days": 30},
        "tiers": [{"name": "basic", "threshold": 0, "multiplier": "1"}, {"name": "vip", "threshold": 300}],
    }  # fmt: skip
    program = tier_program(rules)
    assert program.thresholds == (Threshold("basic", 0), Threshold("vip", 300))
    assert (program.window, program.timezone) == (TierWindow("calendar_year", 365, 30), "Asia/Shanghai")


@pytest.mark.parametrize(
    "rules",
    [{"tiers": "gold"}, {"tiers": [{"name": "x"}]}, {"tier_window": {"mode": "weekly", "days": 0}},
     {"timezone": "Mars/Olympus"}, {"tier_window": 7}],
)  # fmt: skip
def test_settings_of_the_wrong_shape_fall_back_to_the_defaults(rules: dict[str, Any]) -> None:
    assert tier_program(rules) == progress.DEFAULT


def test_a_rolling_window_counts_back_its_days_from_now() -> None:
    program = tier_program({"tier_window": {"days": 90}})
    assert (window_start(program, NOW), window_days(program, NOW)) == (NOW - timedelta(days=90), 90)


def test_a_calendar_year_starts_on_the_first_of_january_in_the_shops_time_zone() -> None:
    program = tier_program({"timezone": "Asia/Shanghai", "tier_window": {"mode": "calendar_year"}})
    new_year_in_shanghai = datetime(2026, 12, 31, 17, tzinfo=UTC)
    assert window_start(program, new_year_in_shanghai) == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert window_start(program, NOW) == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert (window_days(program, NOW), window_days(program, datetime(2028, 3, 1, tzinfo=UTC))) == (365, 366)


def test_the_next_tier_is_the_one_above_with_the_points_it_still_needs() -> None:
    program = progress.DEFAULT
    assert progress.progress(program, "member", 400) == progress.TierProgress("member", 400, "silver", 600)
    assert progress.progress(program, "silver", 1_500) == progress.TierProgress("silver", 1_500, "gold", 3_500)
    assert progress.progress(program, "member", 6_000).points_to_next == 0


def test_at_the_top_tier_there_is_no_next_tier() -> None:
    assert progress.progress(progress.DEFAULT, "diamond", 25_000) == progress.TierProgress("diamond", 25_000, None, 0)


def test_a_tier_the_program_no_longer_has_is_placed_by_its_qualifying_points() -> None:
    assert progress.progress(progress.DEFAULT, "platinum", 6_000).next_tier == "diamond"
    assert progress.progress(progress.DEFAULT, "platinum", 0).next_tier == "silver"


@given(st.integers(-(10**6), 10**6), st.sampled_from(["member", "silver", "gold", "diamond", "unknown"]))
def test_qualifying_points_are_never_below_zero_nor_the_points_to_the_next_tier(points: int, tier: str) -> None:
    seen = progress.progress(progress.DEFAULT, tier, points)
    assert seen.qualifying_points == max(0, points)
    if seen.next_tier is None:
        assert seen.points_to_next == 0
    else:
        threshold = {t.tier: t.points for t in progress.DEFAULT.thresholds}[seen.next_tier]
        assert seen.points_to_next == max(0, threshold - seen.qualifying_points)
