"""Cancelled or returned redemptions give the points back to the same lots, if not expired."""

from __future__ import annotations

from services.redeem.events import (
    AccountCommandRejected,
    PointsRestored,
    RedemptionApproved,
    RedemptionReversed,
    entry_id,
)
from services.redeem.lots import LotShare
from tests.unit.redeem.support import ADA, DAY, SHOP, T0, World, cancel, earned, of_type, request, reward, tick


def test_given_an_approved_redemption_when_it_is_cancelled_then_each_share_goes_back_to_its_lot() -> None:
    world = World()
    world.send(earned(60, lot="a", lifetime=30 * DAY), earned(60, lot="b", lifetime=60 * DAY))
    world.send(request("mug", redemption="red-1"))

    events = world.send(cancel("red-1", event_id="cancel-1", at=T0 + DAY))

    restored, reversed_ = events
    assert restored == PointsRestored(
        entry_id=entry_id(SHOP, "cancel-1", "restored"),
        shop_id=SHOP,
        customer_id=ADA,
        occurred_at=T0 + DAY,
        source_event_id="cancel-1",
        reason="returned",
        points=100,
        redemption_id="red-1",
        lots=(LotShare("a", 60, T0 + 30 * DAY), LotShare("b", 40, T0 + 60 * DAY)),
    )
    assert reversed_ == RedemptionReversed("red-1", SHOP, ADA, T0 + DAY, 100, "returned", "cancel-1", ())
    account = world.account()
    assert {lot.lot_id: lot.remaining for lot in account.lots.values()} == {"a": 60, "b": 60}
    assert account.available(T0 + DAY) == 120
    assert account.totals.redeemed == 0


def test_given_a_lot_that_expired_since_then_its_share_is_reported_not_restored() -> None:
    world = World()
    world.send(earned(60, lot="a", lifetime=30 * DAY), earned(60, lot="b", lifetime=60 * DAY))
    world.send(request("mug", redemption="red-1"))

    events = world.send(cancel("red-1", at=T0 + 30 * DAY))

    restored = of_type(events, PointsRestored)[0]
    reversed_ = of_type(events, RedemptionReversed)[0]
    assert restored.lots == (LotShare("b", 40, T0 + 60 * DAY),)
    assert (reversed_.points_restored, reversed_.not_restored) == (40, (LotShare("a", 60, T0 + 30 * DAY),))
    assert world.account().available(T0 + 30 * DAY) == 60


def test_given_every_lot_expired_then_the_reversal_restores_nothing_and_writes_no_ledger_entry() -> None:
    world = World()
    world.send(earned(100, lot="a", lifetime=10 * DAY), request("mug", redemption="red-1"), tick(T0 + 10 * DAY))

    events = world.send(cancel("red-1", at=T0 + 11 * DAY))

    assert [type(e) for e in events] == [RedemptionReversed]
    assert of_type(events, RedemptionReversed)[0].points_restored == 0


def test_given_a_cancellation_timed_before_an_expiry_already_applied_then_the_expired_lot_gets_nothing_back() -> None:
    world = World()
    world.send(earned(150, lot="a", lifetime=10 * DAY), request("mug", redemption="red-1"))
    world.send(tick(T0 + 10 * DAY))  # the last 50 points of lot a expire

    events = world.send(cancel("red-1", at=T0 + 9 * DAY))  # a late event: lot a has expired already

    assert of_type(events, RedemptionReversed)[0].not_restored == (LotShare("a", 100, T0 + 10 * DAY),)
    assert world.send(tick(T0 + 20 * DAY)) == []
    assert world.account().totals.expired == 50


def test_given_a_tick_that_found_nothing_then_a_cancellation_dated_before_the_expiry_still_restores() -> None:
    world = World()
    world.send(earned(100, lot="a", lifetime=10 * DAY), request("mug", redemption="red-1"))
    world.send(tick(T0 + 10 * DAY))  # lot a was spent: nothing expires

    events = world.send(cancel("red-1", at=T0 + 9 * DAY))

    assert of_type(events, RedemptionReversed)[0].points_restored == 100
    assert [e.points for e in world.send(tick(T0 + 20 * DAY))] == [100]  # type: ignore[union-attr]


def test_given_an_unknown_redemption_then_the_cancellation_is_refused() -> None:
    world = World()

    events = world.send(cancel("red-404", event_id="cancel-1"))

    assert events == [
        AccountCommandRejected("red-404", "cancellation", SHOP, ADA, T0, "unknown_redemption", "cancel-1")
    ]


def test_given_a_rejected_redemption_then_there_is_nothing_to_cancel() -> None:
    world = World()
    world.send(request("mug", redemption="red-1"))

    events = world.send(cancel("red-1"))

    assert of_type(events, AccountCommandRejected)[0].reason == "unknown_redemption"


def test_given_a_redemption_cancelled_once_then_a_second_cancellation_is_refused() -> None:
    world = World()
    world.send(earned(100), request("mug", redemption="red-1"), cancel("red-1"))

    events = world.send(cancel("red-1"))

    assert [(type(e), e.reason) for e in events] == [(AccountCommandRejected, "already_cancelled")]  # type: ignore[union-attr]
    assert world.account().available(T0) == 100


def test_given_the_same_cancellation_delivered_twice_then_the_points_come_back_once() -> None:
    world = World()
    world.send(earned(100), request("mug", redemption="red-1"))
    again = cancel("red-1")

    world.send(again)

    assert world.send(again) == []
    assert world.account().available(T0) == 100


def test_given_a_cancelled_redemption_then_it_no_longer_counts_against_the_per_customer_limit() -> None:
    world = World(rewards={"mug": reward(per_customer_limit=1)})
    world.send(earned(1_000), request("mug", redemption="red-1"), cancel("red-1"))

    assert of_type(world.send(request("mug")), RedemptionApproved)
    assert world.account().approved_units == {"mug": 1}


def test_given_a_cancelled_redemption_then_its_stock_is_released() -> None:
    world = World(rewards={"mug": reward(stock=1)})
    world.send(earned(1_000), request("mug", redemption="red-1"), cancel("red-1"))

    assert of_type(world.send(request("mug")), RedemptionApproved)
