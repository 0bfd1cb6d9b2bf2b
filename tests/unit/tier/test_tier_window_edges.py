"""The window at its edges: day 365 against day 366 across a leap day, and calendar years of 366 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.program import parse_program
from services.tier.domain import Entry, qualifying_points
from services.tier.ladder import TierRules


def rules_of(document: dict[str, Any]) -> TierRules:
    return TierRules.of(parse_program(document))


ROLLING = rules_of({})
EARNED_AT = datetime(2027, 3, 1, 10, tzinfo=UTC)
CREDIT = (Entry("e-1", EARNED_AT, 1_000),)


def test_a_credit_still_qualifies_on_day_365_of_a_leap_year_until_its_very_moment() -> None:
    last_moment = datetime(2028, 2, 29, 10, tzinfo=UTC) - timedelta(milliseconds=1)
    assert qualifying_points(CREDIT, last_moment, ROLLING) == 1_000


def test_a_credit_leaves_a_365_day_window_on_the_leap_day_not_a_calendar_year_later() -> None:
    assert qualifying_points(CREDIT, datetime(2028, 2, 29, 10, tzinfo=UTC), ROLLING) == 0
    assert qualifying_points(CREDIT, datetime(2028, 3, 1, 10, tzinfo=UTC), ROLLING) == 0


def test_a_366_day_window_keeps_it_one_day_longer() -> None:
    rules = rules_of({"tier_window": {"days": 366}})
    assert qualifying_points(CREDIT, datetime(2028, 2, 29, 10, tzinfo=UTC), rules) == 1_000
    assert qualifying_points(CREDIT, datetime(2028, 3, 1, 10, tzinfo=UTC), rules) == 0


def test_a_calendar_year_window_is_366_days_in_a_leap_year_and_365_otherwise() -> None:
    rules = rules_of({"tier_window": {"mode": "calendar_year"}, "timezone": "America/New_York"})
    assert rules.window_days(datetime(2028, 7, 1, tzinfo=UTC)) == 366
    assert rules.window_days(datetime(2027, 7, 1, tzinfo=UTC)) == 365


def test_a_calendar_year_ends_at_midnight_in_the_shops_zone_not_in_utc() -> None:
    rules = rules_of({"tier_window": {"mode": "calendar_year"}, "timezone": "America/New_York"})
    late_on_new_years_eve = (Entry("e-2", datetime(2028, 1, 1, 4, 59, tzinfo=UTC), 500),)  # 23:59 in New York
    assert qualifying_points(late_on_new_years_eve, datetime(2028, 1, 1, 4, 59, 30, tzinfo=UTC), rules) == 500
    assert qualifying_points(late_on_new_years_eve, datetime(2028, 1, 1, 5, 0, tzinfo=UTC), rules) == 0
