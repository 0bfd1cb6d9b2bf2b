"""Task points: README's defaults, once per (task, ref), per-day and per-year limits in the shop's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.earn.commands import TaskCompleted
from services.earn.earnings import Earnings, evolve
from services.earn.events import TaskCounted
from services.earn.tasks import decide_task
from services.earn.validation import ContractViolation
from services.program import TaskRule, parse_program
from services.records import PointsEarned
from tests.unit.earn.support import DEFAULT, MONDAY, earn, fold, task


@pytest.mark.parametrize(
    ("name", "points"),
    [
        ("signup", 50),
        ("profile_completed", 20),
        ("review", 10),
        ("share", 10),
        ("survey", 20),
        ("referral_purchase", 50),
        ("birthday", 100),
    ],
)
def test_given_the_default_program_then_each_task_pays_its_default_points(name: str, points: int) -> None:
    credit = earn([task(name)])

    assert credit.points == points
    assert credit.base_points == points
    assert credit.capped_points == 0
    assert credit.source_type == "TaskCompleted"
    assert credit.order_id is None
    assert credit.reason == f"task {name}"


def test_given_a_task_with_a_ref_then_the_reason_names_it() -> None:
    assert earn([task("review", "SKU-1")]).reason == "task review (SKU-1)"


def test_given_the_same_task_and_ref_twice_then_it_pays_once_and_records_why_not_the_second_time() -> None:
    folded = fold([task("review", "SKU-1"), task("review", "SKU-1")])

    first, second = folded.earned
    assert (first.points, first.capped_points) == (10, 0)
    assert (second.points, second.capped_points) == (0, 10)
    assert second.reason == "task review (SKU-1): review SKU-1 was already paid"


def test_given_reviews_of_two_different_skus_then_both_pay() -> None:
    folded = fold([task("review", "SKU-1"), task("review", "SKU-2")])

    assert [c.points for c in folded.earned] == [10, 10]


@pytest.mark.parametrize("name", ["signup", "profile_completed", "survey"])
def test_given_a_task_without_a_ref_twice_then_it_pays_once(name: str) -> None:
    folded = fold([task(name), task(name, at=MONDAY + timedelta(days=30))])

    assert folded.earned[1].points == 0
    assert folded.earned[1].capped_points == folded.earned[0].points


def test_given_surveys_with_different_refs_then_each_survey_pays() -> None:
    assert [c.points for c in fold([task("survey", "q1"), task("survey", "q2")]).earned] == [20, 20]


def test_given_six_shares_in_a_day_then_five_pay_and_the_sixth_records_the_limit() -> None:
    folded = fold([task("share", at=MONDAY + timedelta(minutes=i)) for i in range(6)])

    assert [c.points for c in folded.earned] == [10] * 5 + [0]
    assert folded.earned[5].capped_points == 10
    assert folded.earned[5].reason == "task share: share pays at most 5 times a day"


def test_given_the_share_limit_reached_then_the_next_local_day_pays_again() -> None:
    program = parse_program({"timezone": "America/New_York"})
    evening = datetime(2026, 5, 4, 22, 0, tzinfo=UTC)  # 18:00 on the 4th in New York
    shares = [task("share", at=evening + timedelta(minutes=i)) for i in range(5)]
    still_the_4th = task("share", at=datetime(2026, 5, 5, 3, 59, tzinfo=UTC))  # 23:59 on the 4th
    the_5th = task("share", at=datetime(2026, 5, 5, 4, 0, tzinfo=UTC))  # midnight on the 5th

    folded = fold([*shares, still_the_4th, the_5th], program)

    assert [c.points for c in folded.earned][-2:] == [0, 10]


def test_given_shares_of_the_same_ref_then_each_ref_pays_once_within_the_daily_limit() -> None:
    folded = fold([task("share", "post-1"), task("share", "post-1"), task("share", "post-2")])

    assert [c.points for c in folded.earned] == [10, 0, 10]


def test_given_a_birthday_then_it_pays_once_a_year_and_again_the_next_year() -> None:
    folded = fold(
        [
            task("birthday", at=datetime(2026, 5, 14, tzinfo=UTC)),
            task("birthday", at=datetime(2026, 11, 2, tzinfo=UTC)),
            task("birthday", at=datetime(2027, 5, 14, tzinfo=UTC)),
        ]
    )

    assert [c.points for c in folded.earned] == [100, 0, 100]
    assert folded.earned[1].reason.startswith("task birthday: ")
    assert "a year" in folded.earned[1].reason
    assert folded.earned[1].capped_points == 100


def test_given_a_birthday_then_the_year_is_the_shop_s_local_year() -> None:
    program = parse_program({"timezone": "Asia/Tokyo"})
    new_year_in_tokyo = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 01:00 on 1 January 2027 in Tokyo

    folded = fold(
        [task("birthday", at=datetime(2026, 6, 1, tzinfo=UTC)), task("birthday", at=new_year_in_tokyo)], program
    )

    assert [c.points for c in folded.earned] == [100, 100]


def test_given_an_unknown_task_then_a_zero_point_entry_says_why() -> None:
    events = decide_task(task("dance", "tiktok-1"), Earnings(), DEFAULT)

    (credit,) = events  # no limit is used up
    assert isinstance(credit, PointsEarned)
    assert (credit.points, credit.capped_points) == (0, 0)
    assert credit.reason == "task dance (tiktok-1): not in the program, no points"


def test_given_a_shop_defined_task_then_it_pays_its_points() -> None:
    program = parse_program({"tasks": {"quiz": {"points": 30, "per_day": 2}}})

    folded = fold([task("quiz", at=MONDAY + timedelta(minutes=i)) for i in range(3)], program)

    assert [c.points for c in folded.earned] == [30, 30, 0]


def test_given_a_default_task_changed_by_the_shop_then_it_pays_the_shop_s_points() -> None:
    assert earn([task("review", "SKU-1")], parse_program({"tasks": {"review": {"points": 25}}})).points == 25


def test_given_a_task_turned_off_then_it_pays_nothing() -> None:
    credit = earn([task("survey")], parse_program({"tasks": {"survey": {"points": 0}}}))

    assert (credit.points, credit.capped_points) == (0, 0)


def test_given_a_paid_task_then_it_records_the_limit_it_uses_up() -> None:
    events = decide_task(task("share", "post-1"), Earnings(), DEFAULT)

    assert events[1:] == [TaskCounted("share|2026-05-04", "share|2026-05-04|post-1")]


def test_given_a_refused_task_then_it_uses_up_nothing() -> None:
    state = fold([task("signup")]).state

    events = decide_task(task("signup"), state, DEFAULT)

    assert len(events) == 1


def test_given_the_same_task_event_again_then_nothing_happens() -> None:
    again = task("review", "SKU-1")
    state = fold([again]).state

    assert decide_task(again, state, DEFAULT) == []


def test_given_a_task_without_a_name_then_it_breaks_the_contract() -> None:
    with pytest.raises(ContractViolation):
        decide_task(task(" "), Earnings(), DEFAULT)


def test_given_a_daily_cap_then_a_task_beyond_it_is_recorded_as_capped() -> None:
    folded = fold([task("signup"), task("review", "SKU-1")], parse_program({"daily_cap": 55}))

    assert [(c.points, c.capped_points) for c in folded.earned] == [(50, 0), (5, 5)]


def test_given_tasks_then_they_are_not_orders() -> None:
    state = fold([task("signup"), task("review", "SKU-1")]).state

    assert state.orders == 0
    assert state.earned_orders == {}
    assert state.lifetime_earned == 60


def test_given_a_default_task_changed_to_15_points_then_it_keeps_its_limit_of_5_a_day() -> None:
    program = parse_program({"tasks": {"share": {"points": 15}}})
    assert program.tasks["share"] == TaskRule(15, per_day=5)


def test_given_a_birthday_with_the_same_ref_every_year_then_it_pays_each_year() -> None:
    state = Earnings()
    paid = []
    for year in (2026, 2027):
        when = datetime(year, 5, 4, 9, tzinfo=UTC)
        events = decide_task(TaskCompleted(f"b-{year}", "shop", "c-1", when, "birthday", "05-04"), state, DEFAULT)
        for event in events:
            state = evolve(state, event, DEFAULT)
        earned = events[0]
        assert isinstance(earned, PointsEarned)
        paid.append(earned.points)
    assert paid == [100, 100]
