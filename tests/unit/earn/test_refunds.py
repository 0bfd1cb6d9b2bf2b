"""Refunds claw back what the order earned, cumulatively: floor(P x min(R, T) / T) in all, never more than P."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.earn.earnings import Earnings, evolve
from services.earn.events import RefundAwaitingOrder, entry_id
from services.earn.refunds import decide_refund, owed
from services.earn.validation import ContractViolation
from services.program import parse_program
from services.records import PointsClawedBack, PointsEarned
from tests.unit.earn.support import DEFAULT, MONDAY, SHOP, fold, order, refund


def clawbacks(*amounts: int, total: int = 12_345) -> list[int]:
    refunds = [refund(a, refund_id=f"r-{i}", at=MONDAY + timedelta(hours=i + 1)) for i, a in enumerate(amounts)]
    return [c.points for c in fold([order(total), *refunds]).clawbacks]


def test_given_a_full_refund_then_exactly_what_the_order_earned_is_clawed_back() -> None:
    folded = fold([order(12_345, event_id="paid-1"), refund(12_345, refund_id="r-1", event_id="refund-1")])
    earned, clawed = folded.events

    assert isinstance(earned, PointsEarned)
    assert isinstance(clawed, PointsClawedBack)
    assert clawed.points == earned.points == 123
    assert clawed.lot_id == clawed.earned_entry_id == earned.entry_id
    assert clawed.entry_id == entry_id(SHOP, "refund-1", "clawed_back")
    assert (clawed.order_id, clawed.refund_id, clawed.refunded_minor) == ("o-1", "r-1", 12_345)
    assert clawed.source_event_id == "refund-1"
    assert clawed.reason == "refund r-1 of order o-1"
    assert folded.state.clawed_back == 123
    assert folded.state.lifetime_earned == 123


def test_given_partial_refunds_then_each_claws_back_what_the_running_total_owes() -> None:
    # P = 123, T = 12345: after 1000 -> floor(123 x 1000 / 12345) = 9, after 2000 -> 19, after all -> 123
    assert clawbacks(1_000, 1_000, 10_345) == [9, 10, 104]


def test_given_a_full_refund_in_any_number_of_parts_then_exactly_the_points_earned_come_back() -> None:
    assert sum(clawbacks(*[1_000] * 12, 345)) == 123
    assert sum(clawbacks(1, 1, 1, 12_342)) == 123


def test_given_refunds_summing_to_more_than_was_paid_then_never_more_than_was_earned_is_clawed_back() -> None:
    assert clawbacks(8_000, 8_000, 5_000, total=10_000) == [80, 20, 0]


def test_given_a_refund_of_nothing_then_the_clawback_is_zero() -> None:
    assert clawbacks(0, total=10_000) == [0]


def test_given_an_order_that_earned_nothing_when_refunded_then_a_zero_point_clawback_is_recorded() -> None:
    folded = fold([order(50), refund(50)])  # 0.50 dollars earned 0 points

    assert folded.earned[0].points == 0
    assert [c.points for c in folded.clawbacks] == [0]


def test_given_a_capped_order_then_a_refund_claws_back_only_what_was_credited() -> None:
    folded = fold([order(15_000), refund(15_000)], parse_program({"daily_cap": 100}))

    assert [c.points for c in folded.clawbacks] == [100]


def test_given_an_order_with_a_bonus_then_a_full_refund_claws_back_the_bonus_too() -> None:
    folded = fold([order(1_000), refund(1_000)], parse_program({"first_order_bonus": 200}))

    assert [c.points for c in folded.clawbacks] == [210]


def test_given_a_half_refund_of_an_order_with_a_bonus_then_half_of_all_it_earned_comes_back() -> None:
    folded = fold([order(1_000), refund(500)], parse_program({"first_order_bonus": 201}))

    assert [c.points for c in folded.clawbacks] == [105]  # floor(211 / 2)


@pytest.mark.parametrize(
    ("points", "total", "refunded", "lost"),
    [
        (123, 12_345, 0, 0),
        (123, 12_345, 6_172, 61),
        (123, 12_345, 12_345, 123),
        (123, 12_345, 99_999, 123),
        (7, 3, 1, 2),
    ],
)
def test_given_the_refunded_total_then_the_order_has_lost_the_floor_of_its_share(
    points: int, total: int, refunded: int, lost: int
) -> None:
    assert owed(points, total, refunded) == lost


# Refunds that arrive before their order


def test_given_a_refund_before_its_order_then_it_waits_for_the_order() -> None:
    early = refund(4_000, order_id="o-9", refund_id="r-1", event_id="refund-1")

    events = decide_refund(early, Earnings(), DEFAULT)

    assert events == [RefundAwaitingOrder("refund-1", "o-9", "r-1", 4_000, MONDAY)]
    state = evolve(Earnings(), events[0], DEFAULT)
    assert "refund-1" in state.seen_event_ids
    assert state.awaiting_order == {"o-9": (events[0],)}
    assert state.clawed_back == 0


def test_given_a_refund_before_its_order_when_the_order_arrives_then_it_earns_and_is_clawed_back_at_once() -> None:
    later = MONDAY + timedelta(hours=3)
    folded = fold([refund(4_000, order_id="o-9", event_id="refund-1"), order(10_000, order_id="o-9", at=later)])

    waiting, earned, clawed = folded.events
    assert isinstance(waiting, RefundAwaitingOrder)
    assert isinstance(earned, PointsEarned)
    assert isinstance(clawed, PointsClawedBack)
    assert earned.points == 100
    assert clawed.points == 40
    assert clawed.refunded_minor == 4_000
    assert clawed.earned_entry_id == earned.entry_id
    assert clawed.occurred_at == later
    assert folded.state.awaiting_order == {}
    assert folded.state.earned_orders["o-9"].clawed_back == 40
    assert folded.state.clawed_back == 40


def test_given_several_refunds_before_their_order_then_each_is_clawed_back_in_turn_when_it_arrives() -> None:
    folded = fold(
        [
            refund(3_000, order_id="o-9", refund_id="r-1"),
            refund(9_000, order_id="o-9", refund_id="r-2"),
            order(10_000, order_id="o-9"),
        ]
    )

    first, second = folded.clawbacks
    assert (first.refund_id, first.points) == ("r-1", 30)
    assert (second.refund_id, second.points) == ("r-2", 70)  # 12000 refunded of 10000 paid: all of it, no more
    assert folded.state.earned_orders["o-9"].refund_ids == {"r-1", "r-2"}
    assert folded.state.awaiting_order == {}


def test_given_a_refund_that_waited_when_it_is_delivered_again_after_the_order_then_nothing_happens() -> None:
    early = refund(4_000, order_id="o-9", refund_id="r-1")
    folded = fold([early, order(10_000, order_id="o-9"), early])

    assert [c.points for c in folded.clawbacks] == [40]


def test_given_a_refund_that_waited_when_a_later_part_arrives_after_the_order_then_it_continues_the_total() -> None:
    folded = fold(
        [
            refund(4_000, order_id="o-9", refund_id="r-1"),
            order(10_000, order_id="o-9"),
            refund(6_000, order_id="o-9", refund_id="r-2"),
        ]
    )

    assert [c.points for c in folded.clawbacks] == [40, 60]


# What the clawback is based on


def test_given_the_program_changed_since_the_order_then_the_refund_claws_back_what_the_entry_recorded() -> None:
    state = fold([order(10_000)]).state  # 100 points under version 0
    richer = parse_program({"points_per_unit": 5, "clawback_may_go_negative": True}, version=2)

    (clawed,) = decide_refund(refund(10_000), state, richer)

    assert isinstance(clawed, PointsClawedBack)
    assert clawed.points == 100
    assert clawed.rule_version == 0
    assert clawed.may_go_negative is True  # the setting in effect for the refund


@pytest.mark.parametrize(("document", "may_go_negative"), [({}, False), ({"clawback_may_go_negative": True}, True)])
def test_given_the_shop_s_setting_then_the_clawback_says_whether_the_balance_may_go_negative(
    document: dict[str, bool], may_go_negative: bool
) -> None:
    program = parse_program(document)

    (clawed,) = fold([order(1_000), refund(1_000)], program).clawbacks

    assert clawed.may_go_negative is may_go_negative


# The contract


def test_given_the_same_refund_id_under_another_event_id_then_it_breaks_the_contract() -> None:
    state = fold([order(10_000), refund(1_000, refund_id="r-1")]).state

    with pytest.raises(ContractViolation, match="already applied"):
        decide_refund(refund(1_000, refund_id="r-1"), state, DEFAULT)


def test_given_a_refund_that_waited_when_its_id_comes_again_after_the_order_then_it_breaks_the_contract() -> None:
    state = fold([refund(1_000, order_id="o-9", refund_id="r-1"), order(10_000, order_id="o-9")]).state

    with pytest.raises(ContractViolation):
        decide_refund(refund(1_000, order_id="o-9", refund_id="r-1"), state, DEFAULT)


def test_given_the_same_refund_event_again_then_nothing_happens() -> None:
    again = refund(1_000)
    state = fold([order(10_000), again]).state

    assert decide_refund(again, state, DEFAULT) == []


@pytest.mark.parametrize(
    "bad",
    [refund(-1), refund(100, order_id=""), refund(100, refund_id="")],
    ids=["negative amount", "no order id", "no refund id"],
)
def test_given_a_refund_with_a_negative_amount_or_missing_ids_then_it_breaks_the_contract(bad: object) -> None:
    state = fold([order(10_000)]).state

    with pytest.raises(ContractViolation):
        decide_refund(bad, state, DEFAULT)  # type: ignore[arg-type]


def test_given_a_refund_then_it_does_not_change_what_the_customer_earned_in_their_lifetime() -> None:
    state = fold([order(10_000), refund(4_000)]).state

    assert state.lifetime_earned == 100
    assert state.clawed_back == 40
    assert state.earned_orders["o-1"].refunded_minor == 4_000


# Found while testing: see the reasons.


def test_given_a_refund_id_with_a_comma_when_redelivered_under_another_event_id_then_it_breaks_the_contract() -> None:
    state = fold([order(10_000), refund(5_000, refund_id="RMA-7,line-2")]).state

    with pytest.raises(ContractViolation):
        decide_refund(refund(5_000, refund_id="RMA-7,line-2"), state, DEFAULT)


def test_given_a_waiting_refund_when_its_id_comes_again_under_another_event_id_then_it_breaks_the_contract() -> None:
    state = fold([refund(1_000, order_id="o-9", refund_id="r-1")]).state

    with pytest.raises(ContractViolation):
        decide_refund(refund(1_000, order_id="o-9", refund_id="r-1"), state, DEFAULT)
