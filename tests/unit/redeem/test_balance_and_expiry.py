"""The balance a storefront shows (available, pending, every upcoming expiry) and lots expiring on their date."""

from __future__ import annotations

import pytest

from services.redeem.account import Account, Expiring, balance, next_expiry
from services.redeem.credits import decide_expiry
from services.redeem.events import ContractViolation, PointsExpired, entry_id
from tests.unit.redeem.support import ADA, DAY, SHOP, T0, YEAR, World, earned, request, tick


def test_given_a_credit_in_its_return_window_then_it_is_pending_until_the_window_ends() -> None:
    world = World()
    world.send(earned(100, pending=14 * DAY))

    assert (world.account().available(T0), world.account().pending(T0)) == (0, 100)
    just_before = T0 + 14 * DAY - DAY / 86_400_000
    assert (world.account().available(just_before), world.account().pending(just_before)) == (0, 100)
    assert (world.account().available(T0 + 14 * DAY), world.account().pending(T0 + 14 * DAY)) == (100, 0)


def test_given_lots_then_the_balance_lists_every_upcoming_expiry_nearest_first() -> None:
    world = World()
    world.send(
        earned(100, lot="a", lifetime=200 * DAY),
        earned(50, lot="b", lifetime=100 * DAY),
        earned(70, lot="c", pending=14 * DAY, lifetime=300 * DAY),
        earned(30, lot="d", lifetime=10 * DAY),
        request("mug", at=T0 + DAY),  # spends d, b, then 20 of a
    )

    shown = balance(world.account(), T0 + DAY)

    assert (shown.available, shown.pending, shown.lifetime_earned, shown.redeemed) == (80, 70, 250, 100)
    assert shown.expiring == (
        Expiring(80, T0 + 200 * DAY),
        Expiring(70, T0 + 300 * DAY),
    )
    assert not shown.frozen


def test_given_a_lot_past_its_date_then_it_leaves_the_balance_at_once_even_before_the_tick() -> None:
    world = World()
    world.send(earned(100, lifetime=30 * DAY))

    assert world.account().available(T0 + 30 * DAY - DAY) == 100
    assert world.account().available(T0 + 30 * DAY) == 0
    assert balance(world.account(), T0 + 30 * DAY).expiring == ()


def test_given_a_tick_past_a_lots_date_then_what_is_left_of_it_expires_at_its_date() -> None:
    world = World()
    world.send(earned(100, lot="a", lifetime=30 * DAY), earned(100, lot="b"), request("mug", quantity=1))

    assert world.send(tick(T0 + 29 * DAY)) == []
    events = world.send(tick(T0 + 40 * DAY))
    again = world.send(tick(T0 + 41 * DAY))

    assert events == []  # lot a was spent by the redemption (nearest expiry first)
    assert again == []
    world.send(earned(60, lot="c", at=T0 + 40 * DAY, lifetime=10 * DAY))
    assert world.send(tick(T0 + 60 * DAY)) == [
        PointsExpired(
            entry_id=entry_id(SHOP, "c", "expired"),
            shop_id=SHOP,
            customer_id=ADA,
            occurred_at=T0 + 50 * DAY,
            source_event_id="c",
            reason="lot c expired",
            points=60,
            lot_id="c",
        )
    ]
    assert world.account().totals.expired == 60


def test_given_a_lot_partly_spent_then_only_its_remaining_points_expire_and_only_once() -> None:
    world = World()
    world.send(earned(150, lot="a", lifetime=YEAR), request("mug"))

    first = world.send(tick(T0 + YEAR))
    second = world.send(tick(T0 + YEAR + DAY))

    assert [(e.lot_id, e.points) for e in first] == [("a", 50)]  # type: ignore[union-attr]
    assert second == []
    assert "a" not in world.account().lots


def test_given_several_lots_due_then_they_expire_in_date_order() -> None:
    world = World()
    world.send(earned(1, lot="late", lifetime=20 * DAY), earned(2, lot="early", lifetime=10 * DAY))

    assert [e.lot_id for e in decide_expiry(world.account(), T0 + YEAR)] == ["early", "late"]


def test_given_lots_then_the_next_expiry_is_the_nearest_date_of_a_lot_holding_points() -> None:
    world = World()
    assert next_expiry(world.account()) is None
    world.send(earned(100, lot="a", lifetime=10 * DAY), earned(100, lot="b", lifetime=20 * DAY))
    assert next_expiry(world.account()) == T0 + 10 * DAY
    world.send(request("mug"))
    assert next_expiry(world.account()) == T0 + 20 * DAY


def test_given_a_customer_without_lots_then_a_tick_does_nothing() -> None:
    assert decide_expiry(Account(SHOP, ADA), T0 + YEAR) == []


def test_given_credits_then_lifetime_earned_counts_them_and_a_zero_credit_opens_no_lot() -> None:
    world = World()
    world.send(earned(100), earned(0, lot="zero"))

    assert world.account().totals.lifetime_earned == 100
    assert "zero" not in world.account().lots


def test_given_a_credit_delivered_twice_then_it_counts_once() -> None:
    world = World()
    credit = earned(100)

    world.send(credit, credit)

    assert world.account().available(T0) == 100


def test_given_a_negative_credit_or_a_lot_opened_twice_then_it_breaks_the_contract() -> None:
    world = World()
    world.send(earned(100, lot="a"))

    with pytest.raises(ContractViolation):
        world.send(earned(-1))
    with pytest.raises(ContractViolation):
        world.send(earned(5, lot="a").__class__(**{**earned(5, lot="a").__dict__, "entry_id": "other"}))
