"""A batch's reservations are asked of the stock at once, before its steps, and reach the decisions one-at-a-time
reservation reaches; what the batch did not use is given back at its end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.redeem.batch_reservations import Answer, Ask, Sheet
from services.redeem.reservations import Reservation
from tests.unit.redeem.step import Partition, records
from tests.unit.redeem.support import ADA, BOB, DAY, SHOP, T0, earned, request, tick

EVE = "eve"


def offered(**stock: Any) -> Partition:
    partition = Partition()
    partition.offer("mug", stock=2)
    partition.offer("pen", points_price=50)
    partition.offer("cap", stock=3, per_customer_limit=1, points_price=30)
    return partition


def decided(outputs: list[Any]) -> list[tuple[str, str]]:
    """(redemption id, outcome or reason) of each decision, in order."""
    return [(r["redemption_id"], r.get("reason", "approved")) for r in records(outputs, "RedemptionApproved")
            + records(outputs, "RedemptionRejected")]  # fmt: skip


def test_a_batch_asks_the_stock_once_and_its_last_units_go_in_the_batchs_order() -> None:
    partition = offered()
    partition.send_all([earned(500, customer=c) for c in (ADA, BOB, EVE)])
    partition.stock.round_trips = 0

    outputs = partition.send_all([request("mug", redemption=f"red-{c}", customer=c) for c in (ADA, BOB, EVE)])

    assert decided(outputs) == [("red-ada", "approved"), ("red-bob", "approved"), ("red-eve", "out_of_stock")]
    assert partition.stock.round_trips == 1
    assert partition.stock.units == {"mug": 2}


def test_a_batch_without_a_request_the_stock_would_be_asked_for_makes_no_round_trip() -> None:
    partition = offered()
    partition.send(earned(50))
    partition.stock.round_trips = 0

    outputs = partition.send_all([earned(10, customer=BOB), request("mug"), request("lounge"), tick(T0)])

    assert [r["reason"] for r in records(outputs, "RedemptionRejected")] == ["insufficient_points", "unknown_reward"]
    assert partition.stock.round_trips == 0


def test_the_look_ahead_counts_the_batchs_earlier_credits_debits_and_approvals_of_the_same_customer() -> None:
    partition = offered()
    partition.send(earned(150))
    partition.stock.round_trips = 0
    batch = [
        request("mug", redemption="red-1"),  # 100 of 150
        request("mug", redemption="red-2"),  # 50 left: refused before the stock, never asked
        request("cap", redemption="red-3"),
        request("cap", redemption="red-4"),  # one per customer
        earned(100, customer=BOB),
        request("pen", redemption="red-5", customer=BOB),  # affordable thanks to the credit just before
    ]

    outputs = partition.send_all(batch)

    assert decided(outputs) == [("red-1", "approved"), ("red-3", "approved"), ("red-5", "approved"),
                                ("red-2", "insufficient_points"), ("red-4", "limit_reached")]  # fmt: skip
    assert sorted(redemption for _, redemption in partition.stock.held) == ["red-1", "red-3", "red-5"]
    assert (partition.stock.round_trips, partition.stock.alone) == (1, 0)


def test_a_request_affordable_only_because_an_earlier_one_was_refused_for_stock_is_asked_alone() -> None:
    partition = offered()
    partition.offer("mug", version=2, stock=1)
    partition.send_all([earned(500, customer=BOB), earned(100)])
    batch = [request("mug", redemption="red-bob", customer=BOB), request("mug", redemption="red-1"),
             request("pen", redemption="red-2")]  # fmt: skip

    outputs = partition.send_all(batch)

    assert decided(outputs) == [("red-bob", "approved"), ("red-2", "approved"), ("red-1", "out_of_stock")]
    assert partition.stock.alone == 1


def test_a_retried_batch_reaches_the_same_decisions_and_reserves_nothing_twice() -> None:
    partition = offered()
    partition.send_all([earned(500, customer=c) for c in (ADA, BOB, EVE)])
    batch = [request(r, redemption=f"red-{c}-{r}", customer=c) for c in (ADA, BOB, EVE) for r in ("mug", "cap")]

    first = partition.send_all(batch, commit=False)  # the Kafka transaction aborted after the steps
    again = partition.send_all(batch)

    assert decided(again) == decided(first)
    assert partition.stock.units == {"mug": 2, "cap": 3}
    assert partition.send_all(batch) == []  # committed: every request is handled


def test_a_tick_earlier_in_the_batch_expires_lots_for_the_look_ahead_as_for_the_steps() -> None:
    partition = offered()
    partition.send_all([earned(100, lifetime=DAY), earned(100, customer=BOB, lifetime=3 * DAY)])
    partition.stock.round_trips = 0
    later = T0 + timedelta(hours=1)  # dated before the lots expire: the tick moved the accounts' clocks past that
    batch = [
        request("pen", redemption="red-bob", customer=BOB, at=later),
        tick(T0 + 2 * DAY),
        request("mug", redemption="red-1", at=later),
        request("pen", redemption="red-bob-2", customer=BOB),
    ]

    outputs = partition.send_all(batch)

    assert decided(outputs) == [("red-bob", "approved"), ("red-bob-2", "approved"),
                                ("red-1", "insufficient_points")]  # fmt: skip
    assert sorted(redemption for _, redemption in partition.stock.held) == ["red-bob", "red-bob-2"]
    assert (partition.stock.round_trips, partition.stock.alone) == (1, 0)


def test_grants_an_aborted_attempt_relied_on_and_its_retry_does_not_use_go_back_together_at_the_batchs_end() -> None:
    partition = offered()
    partition.send_all([earned(500, customer=c) for c in (ADA, BOB, EVE)])
    batch = [request("mug", redemption=f"red-{c}", customer=c) for c in (ADA, BOB)]
    assert len(records(partition.send_all(batch, commit=False), "RedemptionApproved")) == 2
    partition.offer("mug", version=3, stock=2, active=False)  # deactivated before the retry
    partition.stock.round_trips = 0

    outputs = partition.send_all(batch)

    assert [r["reason"] for r in records(outputs, "RedemptionRejected")] == ["unknown_reward"] * 2
    assert partition.stock.units == {"mug": 0}
    assert partition.stock.round_trips == 1  # nothing to ask; one round trip gives both back


def test_when_the_batch_cannot_be_asked_at_once_for_a_bug_each_request_is_asked_alone_and_decided_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    partition = offered()
    partition.send_all([earned(500, customer=c) for c in (ADA, BOB, EVE)])

    def broken(asks: object) -> None:
        raise RuntimeError("a bug in the batch's call")

    monkeypatch.setattr(partition.stock, "reserve_all", broken)
    outputs = partition.send_all([request("mug", redemption=f"red-{c}", customer=c) for c in (ADA, BOB, EVE)])

    assert decided(outputs) == [("red-ada", "approved"), ("red-bob", "approved"), ("red-eve", "out_of_stock")]
    assert partition.stock.alone == 3


def test_a_sheet_answers_each_ask_once_and_gives_back_only_the_fresh_grants_no_step_took() -> None:
    def asked(redemption: str) -> Ask:
        return Ask(SHOP, ADA, 0, "mug", redemption, 1, 5)

    sheet = Sheet({
        asked("taken"): Answer(Reservation(True, 0), fresh=True),
        asked("fresh"): Answer(Reservation(True, 1), fresh=True),
        asked("found"): Answer(Reservation(True, 2), fresh=False),  # an earlier attempt's: the reconciliation's
        asked("refused"): Answer(Reservation(False), fresh=False),
    })  # fmt: skip

    assert sheet.take(asked("taken")) == Reservation(True, 0)
    assert sheet.take(asked("taken")) is None
    assert sheet.take(Ask(SHOP, ADA, 0, "mug", "fresh", 2, 5)) is None  # another quantity: not what was asked
    sheet.give_back((SHOP, ADA, "elsewhere"))

    assert sheet.leftovers() == [(SHOP, ADA, "elsewhere"), (SHOP, ADA, "fresh")]


CUSTOMERS = (ADA, BOB, EVE)
events = st.one_of(
    st.tuples(st.just("earn"), st.sampled_from(CUSTOMERS), st.integers(0, 300)),
    st.tuples(st.just("ask"), st.sampled_from(CUSTOMERS), st.sampled_from(("mug", "pen", "cap", "lounge"))),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=st.lists(st.lists(events, max_size=12), min_size=1, max_size=3), mugs=st.integers(0, 3), seed=st.integers()
)
def test_for_any_batches_the_stock_is_never_oversold_and_the_decisions_are_those_of_one_at_a_time(
    history: list[list[tuple[str, str, Any]]], mugs: int, seed: int
) -> None:
    batched, alone = offered(), offered()
    for partition in (batched, alone):
        partition.offer("mug", version=2, stock=mugs)
    for n, batch in enumerate(history):
        inputs = [earned(x, customer=c) if kind == "earn" else request(x, redemption=f"r-{seed}-{n}-{i}", customer=c)
                  for i, (kind, c, x) in enumerate(batch)]  # fmt: skip
        together = batched.send_all(inputs)
        one_by_one = [out for event in inputs for out in alone.send(event)]
        approved = records(together, "RedemptionApproved")
        assert len(decided(together)) == sum(kind == "ask" for kind, _, _ in batch)
        if batched.stock.alone == 0:  # every reservation asked with the batch's
            assert decided(together) == decided(one_by_one)
            assert batched.state() == alone.state()
        assert sum(r["reward_id"] == "mug" for r in approved) <= mugs
    assert batched.stock.units.get("mug", 0) <= mugs
    assert batched.stock.units.get("cap", 0) <= 3
    kept = {(r, h.reward) for (_, r), h in batched.stock.held.items() if h.granted and not h.released}
    assert sum(1 for _, reward in kept if reward == "mug") == batched.stock.units.get("mug", 0)
