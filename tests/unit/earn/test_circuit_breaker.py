"""The circuit breaker: once a shop's points in an event-time hour would pass its budget, credits are held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.earn.caps import hourly_budget
from services.earn.commands import OrderPaid
from services.earn.earnings import ShopHours, evolve_shop
from services.program import CircuitBreaker, Program, parse_program
from services.records import PointsEarned
from tests.unit.earn.support import DEFAULT, MONDAY, fold, order, task

LIMITED = parse_program({"circuit_breaker": {"max_points_per_hour": 1_000}})
NOON = MONDAY  # 12:00 UTC


def orders_at(*points_and_minutes: tuple[int, int]) -> list[OrderPaid]:
    return [
        order(points * 100, order_id=f"o-{i}", at=NOON + timedelta(minutes=minutes))
        for i, (points, minutes) in enumerate(points_and_minutes)
    ]


@pytest.mark.parametrize(
    ("limit", "partitions", "budget"),
    [
        (None, 6, None),
        (1_000, 1, 1_000),
        (1_000, 3, 334),
        (1_000, 6, 167),
        (999, 3, 333),
        (5, 10, 1),
        (1_000, 0, 1_000),
    ],
)
def test_given_a_shop_limit_then_each_partition_gets_its_share_rounded_up(
    limit: int | None, partitions: int, budget: int | None
) -> None:
    program = parse_program({} if limit is None else {"circuit_breaker": {"max_points_per_hour": limit}})

    assert hourly_budget(program, partitions) == budget


@given(st.integers(1, 10**12), st.integers(1, 256))
def test_given_any_limit_then_the_partitions_share_it_exactly_rounded_up(limit: int, partitions: int) -> None:
    program = parse_program({"circuit_breaker": {"max_points_per_hour": limit}})

    assert hourly_budget(program, partitions) == -(-limit // partitions)


def test_given_a_limit_beyond_float_precision_then_one_partition_still_gets_exactly_the_limit() -> None:
    limit = 2**53 + 1  # beyond what a program document may set (services/limits.py), not what the arithmetic takes
    program = Program(circuit_breaker=CircuitBreaker(limit))

    assert hourly_budget(program, 1) == limit


def test_given_the_budget_spent_then_the_credit_that_would_pass_it_is_held() -> None:
    folded = fold(orders_at((600, 0), (300, 10), (200, 20)), LIMITED, budget=1_000)

    issued, more, held = folded.earned
    assert (issued.held, more.held) == (None, None)
    assert held.held == "circuit_breaker"
    assert held.points == 200  # still the customer's, pending
    assert held.available_at == held.occurred_at + timedelta(days=7)
    assert held.expires_at == held.occurred_at + timedelta(days=365)
    assert folded.shop.issued == {"2026-05-04T12": 900}  # held points are not issued


def test_given_the_budget_exactly_reached_then_the_credit_is_issued() -> None:
    folded = fold(orders_at((600, 0), (400, 10)), LIMITED, budget=1_000)

    assert [c.held for c in folded.earned] == [None, None]
    assert folded.shop.issued == {"2026-05-04T12": 1_000}


def test_given_a_held_credit_then_a_smaller_one_that_still_fits_is_issued() -> None:
    folded = fold(orders_at((900, 0), (200, 10), (100, 20)), LIMITED, budget=1_000)

    assert [c.held for c in folded.earned] == [None, "circuit_breaker", None]


def test_given_a_new_hour_then_the_budget_starts_fresh() -> None:
    folded = fold(orders_at((900, 0), (200, 59), (600, 60)), LIMITED, budget=1_000)

    assert [c.held for c in folded.earned] == [None, "circuit_breaker", None]
    assert folded.shop.issued == {"2026-05-04T12": 900, "2026-05-04T13": 600}


def test_given_a_credit_bigger_than_the_whole_budget_then_it_is_held() -> None:
    folded = fold(orders_at((1_001, 0)), LIMITED, budget=1_000)

    assert folded.earned[0].held == "circuit_breaker"


def test_given_tasks_then_they_spend_the_same_budget() -> None:
    program = parse_program({"circuit_breaker": {"max_points_per_hour": 100}})

    folded = fold([task("signup"), task("referral_purchase", "o-7"), task("review", "SKU-1")], program, budget=100)

    assert [c.held for c in folded.earned] == [None, None, "circuit_breaker"]  # 50 + 50 fit, 10 more do not


def test_given_a_return_window_longer_than_the_hold_then_a_held_credit_waits_for_the_return_window() -> None:
    program = parse_program({"return_window_days": 14, "circuit_breaker": {"max_points_per_hour": 10, "hold_days": 7}})

    held = fold(orders_at((20, 0)), program, budget=10).earned[0]

    assert held.held == "circuit_breaker"
    assert held.available_at == held.occurred_at + timedelta(days=14)


def test_given_a_hold_longer_than_the_return_window_then_a_held_credit_waits_for_the_hold() -> None:
    program = parse_program({"return_window_days": 1, "circuit_breaker": {"max_points_per_hour": 10, "hold_days": 3}})

    held = fold(orders_at((20, 0)), program, budget=10).earned[0]

    assert held.available_at == held.occurred_at + timedelta(days=3)


def test_given_no_budget_then_nothing_is_held() -> None:
    folded = fold(orders_at((10**6, 0), (10**6, 1)), DEFAULT, budget=None)

    assert [c.held for c in folded.earned] == [None, None]


def test_given_the_budget_spent_then_a_zero_point_credit_is_not_held() -> None:
    folded = fold([*orders_at((1_000, 0)), order(50, order_id="small")], LIMITED, budget=1_000)

    assert [(c.points, c.held) for c in folded.earned] == [(1_000, None), (0, None)]


def test_given_a_capped_credit_then_only_what_is_credited_counts_against_the_budget() -> None:
    program = parse_program({"daily_cap": 500, "circuit_breaker": {"max_points_per_hour": 600}})

    folded = fold(orders_at((800, 0)), program, budget=600)

    assert [(c.points, c.capped_points, c.held) for c in folded.earned] == [(500, 300, None)]


def credit(points: int, at: datetime, held: str | None = None) -> PointsEarned:
    return PointsEarned(
        "e", "shop", "c", at, points, "src", "OrderPaid", "o", "r", "e", at, at, 0, held=held
    )  # fmt: skip


def test_given_issued_credits_then_the_shop_counts_them_per_event_time_hour() -> None:
    shop = ShopHours()
    for points, at in [(5, NOON), (7, NOON + timedelta(minutes=59)), (11, NOON + timedelta(hours=1))]:
        shop = evolve_shop(shop, credit(points, at))

    assert shop.issued == {"2026-05-04T12": 12, "2026-05-04T13": 11}


def test_given_held_or_zero_credits_then_the_shop_count_does_not_change() -> None:
    shop = ShopHours({"2026-05-04T12": 3})

    assert evolve_shop(shop, credit(50, NOON, held="circuit_breaker")) == shop
    assert evolve_shop(shop, credit(0, NOON)) == shop


def test_given_more_than_a_day_of_hours_then_the_shop_keeps_the_last_24() -> None:
    shop = ShopHours()
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for hour in range(30):
        shop = evolve_shop(shop, credit(1, start + timedelta(hours=hour)))

    assert len(shop.issued) == 24
    assert min(shop.issued) == "2026-05-01T06"
