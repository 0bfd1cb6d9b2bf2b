"""Clawback claims: collected from the order's own lot, then the others; beyond the balance uncollected or owed."""

from __future__ import annotations

import pytest

from services.redeem.events import ClawbackCollected, ContractViolation, OwedRepaid, entry_id
from services.redeem.lots import LotShare
from tests.unit.redeem.support import ADA, DAY, SHOP, T0, World, clawback, earned, of_type, request


def collected(world: World, *commands: object) -> ClawbackCollected:
    found = of_type(world.send(*commands), ClawbackCollected)  # type: ignore[arg-type]
    assert len(found) == 1
    return found[0]  # type: ignore[no-any-return]


def test_given_a_claim_then_it_is_collected_from_the_orders_own_lot_first_even_while_pending() -> None:
    world = World()
    world.send(earned(100, lot="old", lifetime=30 * DAY), earned(80, lot="order", pending=14 * DAY))

    collection = collected(world, clawback(50, lot="order", entry="claim-1", at=T0 + DAY))

    assert collection == ClawbackCollected(
        entry_id=entry_id(SHOP, "claim-1", "collected"),
        shop_id=SHOP,
        customer_id=ADA,
        occurred_at=T0 + DAY,
        source_event_id="refund-claim-1",
        reason="clawback of order o-1",
        claim_entry_id="claim-1",
        points=50,
        lots=(LotShare("order", 50, T0 + 365 * DAY),),
    )
    assert world.account().pending(T0 + DAY) == 30
    assert world.account().available(T0 + DAY) == 100
    assert world.account().totals.clawed_back == 50


def test_given_the_own_lot_spent_then_available_lots_pay_before_pending_ones_nearest_expiry_first() -> None:
    world = World()
    world.send(
        earned(100, lot="order", lifetime=400 * DAY),
        earned(30, lot="pending-soon", pending=5 * DAY, lifetime=20 * DAY),
        earned(30, lot="late", lifetime=200 * DAY),
        earned(30, lot="soon", lifetime=100 * DAY),
        request("mug"),  # takes the 30 of "soon", the 30 of "late" and 40 of "order"
    )

    collection = collected(world, clawback(100, lot="order", at=T0 + DAY))

    assert collection.lots == (LotShare("order", 60, T0 + 400 * DAY), LotShare("pending-soon", 30, T0 + 20 * DAY))
    assert (collection.points, collection.uncollected, collection.owed) == (90, 10, 0)


def test_given_a_claim_beyond_the_balance_then_by_default_the_rest_is_uncollected() -> None:
    world = World()
    world.send(earned(40, lot="order"))

    collection = collected(world, clawback(100, lot="order"))

    assert (collection.points, collection.uncollected, collection.owed) == (40, 60, 0)
    assert world.account().available(T0) == 0
    assert world.account().totals.uncollected == 60


def test_given_negative_balances_allowed_then_the_rest_is_owed_and_the_next_credits_repay_it() -> None:
    world = World()
    world.send(earned(40, lot="order"))

    collection = collected(world, clawback(100, lot="order", may_go_negative=True))

    assert (collection.points, collection.uncollected, collection.owed) == (40, 0, 60)
    assert world.account().available(T0) == -60
    world.send(earned(50, lot="next"))
    assert world.account().available(T0) == -10
    assert world.account().lots["next"].remaining == 0
    world.send(earned(25, lot="after"))
    assert (world.account().owed, world.account().lots["after"].remaining) == (0, 15)
    assert world.account().available(T0) == 15


def test_given_points_owed_then_a_credit_of_earns_is_repaid_by_an_entry_naming_its_lot() -> None:
    world = World()
    world.send(earned(40, lot="order"), clawback(100, lot="order", may_go_negative=True))

    written = world.send(earned(25, lot="next"))

    [repaid] = of_type(written, OwedRepaid)
    assert (repaid.points, repaid.lots) == (25, (LotShare("next", 25),))
    assert world.account().owed == 35


def test_given_expired_lots_then_only_the_orders_own_lot_is_taken_from_whatever_its_state() -> None:
    world = World()
    world.send(earned(10, lot="order", lifetime=10 * DAY), earned(10, lot="gone", lifetime=10 * DAY))

    collection = collected(world, clawback(30, lot="order", at=T0 + 10 * DAY))

    assert collection.lots == (LotShare("order", 10, T0 + 10 * DAY),)
    assert collection.uncollected == 20


def test_given_a_claim_without_a_lot_then_it_is_collected_from_the_lots_alive() -> None:
    world = World()
    world.send(earned(10, lot="a", lifetime=50 * DAY), earned(10, lot="b", lifetime=20 * DAY))

    assert collected(world, clawback(15)).lots == (LotShare("b", 10, T0 + 20 * DAY), LotShare("a", 5, T0 + 50 * DAY))


def test_given_the_same_claim_twice_then_it_is_collected_once() -> None:
    world = World()
    world.send(earned(100, lot="order"))
    claim = clawback(30, lot="order")

    world.send(claim)

    assert world.send(claim) == []
    assert world.account().available(T0) == 70


def test_given_a_claim_of_nothing_then_nothing_is_taken() -> None:
    world = World()
    world.send(earned(100, lot="order"))

    assert collected(world, clawback(0, lot="order")).lots == ()


def test_given_a_negative_claim_then_it_breaks_the_contract() -> None:
    with pytest.raises(ContractViolation):
        World().send(clawback(-1))
