"""Freezing an account, and staff adjustments: signed, with a reason and an actor."""

from __future__ import annotations

from datetime import timedelta

from services.redeem.decider import Shop
from services.redeem.events import (
    AccountCommandRejected,
    AccountStatusChanged,
    PointsAdjusted,
    RedemptionApproved,
    entry_id,
)
from services.redeem.lots import LotShare
from tests.unit.redeem.support import (
    ADA,
    DAY,
    SECRET,
    SHOP,
    T0,
    YEAR,
    World,
    adjust,
    clawback,
    earned,
    freeze,
    of_type,
    request,
)


def test_given_an_account_when_staff_freeze_it_then_its_status_changes_with_reason_and_actor() -> None:
    world = World()

    events = world.send(freeze(event_id="freeze-1"))

    assert events == [AccountStatusChanged(SHOP, ADA, T0, True, "fraud check", "staff-1", "freeze-1")]
    assert world.account().frozen


def test_given_a_frozen_account_then_it_keeps_earning_and_redeems_again_once_unfrozen() -> None:
    world = World()
    world.send(freeze(), earned(100), earned(50, pending=14 * DAY))

    assert (world.account().available(T0), world.account().pending(T0)) == (100, 50)
    world.send(freeze(False))
    assert of_type(world.send(request("mug")), RedemptionApproved)


def test_given_a_frozen_account_then_staff_adjustments_and_clawbacks_still_apply() -> None:
    world = World()
    world.send(earned(100, lot="order"), freeze(), adjust(25), clawback(40, lot="order"))

    assert world.account().available(T0) == 85


def test_given_a_freeze_of_a_frozen_account_or_an_unfreeze_of_an_open_one_then_it_is_refused() -> None:
    world = World()

    assert world.send(freeze(False, event_id="f-1")) == [
        AccountCommandRejected("f-1", "freeze", SHOP, ADA, T0, "not_frozen", "f-1")
    ]
    world.send(freeze())
    assert of_type(world.send(freeze()), AccountCommandRejected)[0].reason == "already_frozen"


def test_given_a_credit_adjustment_then_it_opens_a_lot_available_at_once_for_the_lot_lifetime() -> None:
    world = World(shop=Shop(secret=SECRET, lot_lifetime=timedelta(days=90)))

    events = world.send(adjust(40, event_id="adj-1"))

    entry = entry_id(SHOP, "adj-1", "adjusted")
    assert events == [
        PointsAdjusted(
            entry_id=entry,
            shop_id=SHOP,
            customer_id=ADA,
            occurred_at=T0,
            source_event_id="adj-1",
            reason="goodwill",
            points=40,
            adjustment_id="adj-adj-1",
            actor="staff-1",
            lots=(LotShare(entry, 40, T0 + 90 * DAY),),
            available_at=T0,
            expires_at=T0 + 90 * DAY,
        )
    ]
    assert world.account().available(T0) == 40
    assert world.account().totals.adjusted == 40
    assert world.account().totals.lifetime_earned == 0


def test_given_a_debit_adjustment_then_it_takes_available_lots_nearest_expiry_first() -> None:
    world = World()
    world.send(earned(30, lot="late", lifetime=YEAR), earned(30, lot="soon", lifetime=10 * DAY))
    world.send(earned(100, lot="pending", pending=14 * DAY))

    adjusted = of_type(world.send(adjust(-40)), PointsAdjusted)[0]

    assert adjusted.lots == (LotShare("soon", 30, T0 + 10 * DAY), LotShare("late", 10, T0 + YEAR))
    assert (adjusted.points, adjusted.uncovered) == (-40, 0)
    assert world.account().available(T0) == 20


def test_given_a_debit_beyond_the_available_balance_then_it_is_refused() -> None:
    world = World()
    world.send(earned(30), earned(100, pending=14 * DAY))

    events = world.send(adjust(-31))

    assert [(type(e), e.kind, e.reason) for e in events] == [  # type: ignore[union-attr]
        (AccountCommandRejected, "adjustment", "insufficient_points")
    ]
    assert world.account().available(T0) == 30


def test_given_a_debit_allowed_to_go_negative_then_the_rest_is_owed() -> None:
    world = World()
    world.send(earned(30, lot="a"))

    adjusted = of_type(world.send(adjust(-50, may_go_negative=True)), PointsAdjusted)[0]

    assert (adjusted.lots, adjusted.uncovered) == ((LotShare("a", 30, T0 + YEAR),), 20)
    assert world.account().available(T0) == -20
    world.send(adjust(25))
    assert world.account().available(T0) == 5


def test_given_an_adjustment_of_zero_then_it_is_refused() -> None:
    world = World()

    assert of_type(world.send(adjust(0)), AccountCommandRejected)[0].reason == "invalid_points"


def test_given_the_same_adjustment_twice_then_it_applies_once() -> None:
    world = World()
    again = adjust(10)

    world.send(again, again)

    assert world.account().available(T0) == 10
