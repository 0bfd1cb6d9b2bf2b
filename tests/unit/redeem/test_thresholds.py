"""Threshold triggers: an event for marketing each time the available balance crosses a shop's value."""

from __future__ import annotations

from services.redeem.decider import Shop
from services.redeem.events import BalanceThresholdCrossed
from tests.unit.redeem.support import (
    ADA,
    DAY,
    SECRET,
    SHOP,
    T0,
    World,
    adjust,
    clawback,
    earned,
    of_type,
    request,
    tick,
)


def world_with(*thresholds: int) -> World:
    return World(shop=Shop(secret=SECRET, thresholds=thresholds))


def crossed(world: World, *commands: object) -> list[tuple[int, str, int]]:
    found = of_type(world.send(*commands), BalanceThresholdCrossed)  # type: ignore[arg-type]
    return [(c.threshold, c.direction, c.available) for c in found]


def test_given_a_threshold_when_a_credit_reaches_it_then_one_crossing_up_is_announced() -> None:
    world = world_with(500)

    assert crossed(world, earned(499)) == []
    events = world.send(earned(1))

    assert events[-1] == BalanceThresholdCrossed(SHOP, ADA, T0, 500, "up", 500)
    assert crossed(world, earned(100)) == []


def test_given_a_balance_above_a_threshold_when_a_redemption_takes_it_below_then_a_crossing_down() -> None:
    world = world_with(500)
    world.send(earned(550))

    assert crossed(world, request("mug")) == [(500, "down", 450)]
    assert crossed(world, request("mug")) == []


def test_given_several_thresholds_crossed_at_once_then_each_is_announced_in_the_direction_of_travel() -> None:
    world = world_with(1_000, 100, 500)

    assert crossed(world, earned(1_200)) == [(100, "up", 1_200), (500, "up", 1_200), (1_000, "up", 1_200)]
    assert crossed(world, adjust(-1_150)) == [(1_000, "down", 50), (500, "down", 50), (100, "down", 50)]


def test_given_pending_points_then_they_cross_only_once_available_at_the_next_change() -> None:
    world = world_with(100)

    assert crossed(world, earned(150, pending=14 * DAY)) == []
    assert crossed(world, earned(1, at=T0 + 14 * DAY)) == [(100, "up", 151)]


def test_given_points_expiring_then_the_expiry_can_cross_a_threshold_down() -> None:
    world = world_with(100)
    world.send(earned(150, lifetime=30 * DAY))

    assert crossed(world, tick(T0 + 30 * DAY)) == [(100, "down", 0)]


def test_given_a_duplicate_then_no_crossing_is_announced_again() -> None:
    world = world_with(100)
    credit = earned(150)
    world.send(credit)

    assert crossed(world, credit) == []


def test_given_no_thresholds_then_nothing_is_announced() -> None:
    world = World()

    assert crossed(world, earned(1_000_000)) == []


def test_given_a_threshold_added_after_the_balance_passed_it_then_it_is_announced_at_the_next_change() -> None:
    world = World()
    world.send(earned(300))
    world.shop = Shop(secret=SECRET, thresholds=(100,))

    assert crossed(world, earned(1)) == [(100, "up", 301)]


def test_given_a_threshold_at_zero_then_going_below_zero_and_back_is_announced() -> None:
    world = world_with(0)
    world.send(earned(10, lot="order"))

    assert crossed(world, clawback(30, lot="order", may_go_negative=True)) == [(0, "down", -20)]
    assert crossed(world, earned(20)) == [(0, "up", 0)]
