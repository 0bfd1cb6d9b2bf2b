"""Earning at the base rate: given an order, when it is decided, then these ledger credits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.earn.domain import ContractViolation, Earnings, OrderPaid, Program, decide, evolve

PAID_AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def paid(total_minor: int, currency: str = "USD", event_id: str = "e-1") -> OrderPaid:
    return OrderPaid(event_id, "shop", "c-1", PAID_AT, f"o-{event_id}", currency, total_minor)


DEFAULT = Program()


def fold(orders: list[OrderPaid], program: Program = DEFAULT) -> Earnings:
    state = Earnings()
    for order in orders:
        for event in decide(order, state, program):
            state = evolve(state, event)
    return state


@pytest.mark.parametrize(
    ("total_minor", "currency", "points"),
    [(12_345, "USD", 123), (99, "USD", 0), (100, "CNY", 1), (1_999, "JPY", 1_999), (12_345, "KWD", 12)],
)
def test_an_order_earns_one_point_per_whole_currency_unit_rounded_down(total_minor, currency, points) -> None:
    assert fold([paid(total_minor, currency)]).lifetime_earned == points


def test_the_credit_is_a_lot_that_expires_after_the_lot_lifetime_and_is_pending_for_the_return_window() -> None:
    program = Program(return_window=timedelta(days=14))
    [earned] = decide(paid(5_000), Earnings(), program)
    assert earned.points == 50
    assert earned.lot_id == earned.entry_id
    assert earned.available_at == PAID_AT + timedelta(days=14)
    assert earned.expires_at == PAID_AT + timedelta(days=365)


def test_a_duplicate_event_earns_nothing() -> None:
    assert fold([paid(5_000), paid(5_000)]).lifetime_earned == 50


def test_the_entry_id_is_the_same_on_every_replay() -> None:
    assert decide(paid(5_000), Earnings(), Program()) == decide(paid(5_000), Earnings(), Program())


def test_an_order_worth_less_than_a_point_is_recorded_with_zero_points() -> None:
    [earned] = decide(paid(99), Earnings(), Program())
    assert earned.points == 0


@pytest.mark.parametrize(
    ("order", "reason"),
    [(paid(-1), "negative"), (paid(100, currency="XXQ"), "ISO 4217")],
)
def test_an_order_that_breaks_the_contract_is_refused_with_its_reason(order, reason) -> None:
    with pytest.raises(ContractViolation, match=reason):
        decide(order, Earnings(), Program())


orders = st.lists(
    st.builds(
        paid,
        total_minor=st.integers(0, 10**12),
        currency=st.sampled_from(["USD", "JPY", "EUR", "BHD"]),
        event_id=st.sampled_from([f"e-{i}" for i in range(8)]),
    ),
    max_size=30,
)


@given(orders)
def test_earnings_are_never_negative_and_replay_gives_the_same_state(batch: list[OrderPaid]) -> None:
    first, second = fold(batch), fold(batch)
    assert first == second
    assert first.lifetime_earned >= 0


@given(orders)
def test_each_event_id_earns_at_most_once_whatever_the_duplicates(batch: list[OrderPaid]) -> None:
    firsts: dict[str, OrderPaid] = {}
    for order in batch:
        firsts.setdefault(order.event_id, order)
    assert fold(batch) == fold(list(firsts.values()))


@given(st.integers(0, 10**15), st.fractions(min_value=0, max_value=100, max_denominator=1000))
def test_points_are_the_exact_floor_of_the_rate(total_minor: int, rate: Fraction) -> None:
    events = decide(paid(total_minor), Earnings(), Program(points_per_unit=rate))
    exact = Fraction(total_minor, 100) * rate
    assert sum(e.points for e in events) == int(exact // 1)
