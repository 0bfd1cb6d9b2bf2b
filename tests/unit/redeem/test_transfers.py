"""Transfers between members of a shop: the sender's lots go out, the recipient's open with the same expiry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.redeem.decider import Shop
from services.redeem.events import (
    AccountCommandRejected,
    ContractViolation,
    PointsTransferred,
    TransferReceived,
    entry_id,
)
from services.redeem.lots import LotShare
from services.redeem.operations import TransferLimits
from tests.unit.redeem.support import (
    ADA,
    BOB,
    DAY,
    SECRET,
    SHOP,
    T0,
    YEAR,
    World,
    clawback,
    earned,
    freeze,
    of_type,
    tick,
    transfer,
)


def limited(**limits: object) -> World:
    return World(shop=Shop(secret=SECRET, transfer_limits=TransferLimits(**limits)))  # type: ignore[arg-type]


def refusal(world: World, *commands: object) -> str:
    refused = of_type(world.send(*commands), AccountCommandRejected)  # type: ignore[arg-type]
    assert len(refused) == 1
    assert refused[0].kind == "transfer"
    return refused[0].reason  # type: ignore[no-any-return]


def test_given_a_transfer_then_the_sender_gives_lots_nearest_expiry_first_and_the_recipient_keeps_their_dates() -> None:
    world = World()
    world.send(earned(50, lot="soon", lifetime=30 * DAY), earned(100, lot="late", lifetime=YEAR))

    events = world.send(transfer(80, event_id="t-1"))

    sent, received, credited = events
    shares = (LotShare("soon", 50, T0 + 30 * DAY), LotShare("late", 30, T0 + YEAR))
    assert sent == PointsTransferred(
        entry_id=entry_id(SHOP, "t-1", "transferred_out"),
        shop_id=SHOP,
        customer_id=ADA,
        occurred_at=T0,
        source_event_id="t-1",
        reason="transfer tr-t-1 to bob",
        points=-80,
        transfer_id="tr-t-1",
        counterparty_id=BOB,
        lots=shares,
    )
    assert received == TransferReceived(
        entry_id(SHOP, "t-1", "transfer_received"), SHOP, BOB, T0, "tr-t-1", ADA, 80, shares
    )
    assert isinstance(credited, PointsTransferred)
    assert (credited.customer_id, credited.points, credited.counterparty_id) == (BOB, 80, ADA)
    assert [(s.points, s.expires_at) for s in credited.lots] == [(50, T0 + 30 * DAY), (30, T0 + YEAR)]
    assert world.account(ADA).available(T0) == 70
    assert world.account(BOB).available(T0) == 80
    assert world.account(BOB).totals.transferred_in == world.account(ADA).totals.transferred_out == 80


def test_given_transferred_points_then_they_expire_on_the_senders_dates() -> None:
    world = World()
    world.send(earned(50, lot="soon", lifetime=30 * DAY), transfer(50))

    expired = world.send(tick(T0 + 30 * DAY))

    assert [(e.customer_id, e.points) for e in expired] == [(BOB, 50)]  # type: ignore[union-attr]


def test_given_the_recipient_frozen_or_in_debt_then_the_credit_still_happens_and_repays_the_debt_first() -> None:
    world = World()
    world.send(earned(100, customer=ADA), earned(10, lot="bob-1", customer=BOB))
    world.send(clawback(30, lot="bob-1", may_go_negative=True, customer=BOB), freeze(customer=BOB))

    world.send(transfer(50))

    assert world.account(BOB).available(T0) == 30
    assert world.account(BOB).owed == 0


@pytest.mark.parametrize(
    ("setup", "points", "to", "reason"),
    [
        ("frozen", 10, BOB, "frozen"),
        ("", 0, BOB, "invalid_points"),
        ("", -5, BOB, "invalid_points"),
        ("", 10, ADA, "to_self"),
        ("", 101, BOB, "insufficient_points"),
    ],
)
def test_given_a_transfer_that_cannot_be_made_then_it_is_refused_and_nothing_moves(
    setup: str, points: int, to: str, reason: str
) -> None:
    world = World()
    world.send(earned(100))
    if setup == "frozen":
        world.send(freeze())

    assert refusal(world, transfer(points, to=to)) == reason
    assert world.account(ADA).available(T0) == 100
    assert BOB not in world.accounts


def test_given_pending_points_then_they_cannot_be_transferred() -> None:
    world = World()
    world.send(earned(100, pending=14 * DAY))

    assert refusal(world, transfer(1)) == "insufficient_points"


def test_given_a_shop_limit_per_transfer_then_a_bigger_transfer_is_refused() -> None:
    world = limited(max_points=50)
    world.send(earned(100))

    assert refusal(world, transfer(51)) == "above_max_points"
    assert of_type(world.send(transfer(50)), TransferReceived)


def test_given_a_shop_limit_per_day_then_the_next_transfer_that_day_is_refused_and_the_next_day_allowed() -> None:
    world = limited(max_per_day=2, timezone="Asia/Shanghai")
    world.send(earned(100))
    morning = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    world.send(transfer(1, at=morning), transfer(1, at=morning + DAY / 4))

    assert refusal(world, transfer(1, at=datetime(2026, 5, 4, 15, 59, tzinfo=UTC))) == "limit_reached"
    assert of_type(world.send(transfer(1, at=datetime(2026, 5, 4, 16, 0, tzinfo=UTC))), TransferReceived)


def test_given_a_refused_transfer_then_it_does_not_count_against_the_daily_limit() -> None:
    world = limited(max_per_day=1)
    world.send(earned(100))

    refusal(world, transfer(500))

    assert of_type(world.send(transfer(5)), TransferReceived)


def test_given_the_same_transfer_twice_then_it_moves_the_points_once_on_both_sides() -> None:
    world = World()
    world.send(earned(100))
    again = transfer(40)

    world.send(again, again)

    assert (world.account(ADA).available(T0), world.account(BOB).available(T0)) == (60, 40)


def test_given_the_credit_side_delivered_twice_then_the_recipient_is_credited_once() -> None:
    world = World()
    world.send(earned(100))
    received = of_type(world.send(transfer(40)), TransferReceived)[0]

    assert world.send(received) == []
    assert world.account(BOB).available(T0) == 40


def test_given_a_credit_side_whose_shares_do_not_add_up_then_it_breaks_the_contract() -> None:
    world = World()
    wrong = TransferReceived("tr-x", SHOP, BOB, T0, "tr-x", ADA, 10, (LotShare("a", 5, T0 + YEAR),))
    no_date = TransferReceived("tr-y", SHOP, BOB, T0, "tr-y", ADA, 5, (LotShare("a", 5),))

    with pytest.raises(ContractViolation):
        world.send(wrong)
    with pytest.raises(ContractViolation):
        world.send(no_date)
