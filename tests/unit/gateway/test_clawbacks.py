"""Clawbacks in the read model: they collect from the lots, never more than they ask, and replay the same."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.gateway.readmodel import Balance, CustomerKey, HeldLot, LedgerRecord, LedgerRow, project
from services.gateway.readmodel.ledger import Lots

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def credit(n: int, points: int, customer: str = "ada", pending_days: int = 0, expires_days: int = 365) -> LedgerRecord:
    return LedgerRecord(
        f"e{n}", "shop", customer, "earned", points, "order", f"event-{n}", NOW, f"lot-{n}",
        NOW + pending_days * DAY, NOW + expires_days * DAY, 0, n,
    )  # fmt: skip


def clawback(
    n: int, points: int, lot: int | None, customer: str = "ada", negative: bool = False, at: datetime = NOW
) -> LedgerRecord:
    return LedgerRecord(
        f"c{n}", "shop", customer, "clawed_back", points, "refund", f"refund-{n}", at,
        None if lot is None else f"lot-{lot}", None, None, 0, n, may_go_negative=negative,
    )  # fmt: skip


State = tuple[dict[CustomerKey, Balance], dict[CustomerKey, dict[str, HeldLot]], list[LedgerRow]]


def fold(records: Sequence[LedgerRecord], cuts: Iterable[int] = ()) -> State:
    """What the projector does: batch after batch, carrying balances, lots and known entry ids (its database)."""
    balances: dict[CustomerKey, Balance] = {}
    lots: dict[CustomerKey, dict[str, HeldLot]] = {}
    known: set[str] = set()
    rows: list[LedgerRow] = []
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(records)), len(records)]
    for start, end in itertools.pairwise(bounds):
        projection = project(balances, known, records[start:end], lots)
        balances |= projection.balances
        for customer, changed in projection.lots.items():
            lots.setdefault(customer, {}).update(changed)
        known |= {row.record.entry_id for row in projection.rows}
        rows += projection.rows
    return balances, lots, rows


def remaining(lots: Lots, customer: str = "ada") -> dict[str, int]:
    return {lot_id: lot.remaining for lot_id, lot in lots.get(("shop", customer), {}).items()}


def test_a_clawback_takes_from_its_own_lot_first_then_available_lots_nearest_expiry_then_pending() -> None:
    records = [
        credit(1, 100, expires_days=300), credit(2, 100, expires_days=30), credit(3, 100, pending_days=14),
        credit(4, 50, expires_days=400), clawback(5, 230, lot=4),
    ]  # fmt: skip
    _, lots, rows = fold(records)
    assert remaining(lots) == {"lot-1": 20, "lot-2": 0, "lot-3": 100, "lot-4": 0}
    assert (rows[-1].points, rows[-1].uncollected, rows[-1].balance_after) == (-230, 0, 120)
    more = fold([*records, clawback(6, 100, lot=None)])
    assert remaining(more[1]) == {"lot-1": 0, "lot-2": 0, "lot-3": 20, "lot-4": 0}


def test_what_the_lots_cannot_cover_is_uncollected_and_the_balance_stops_at_zero() -> None:
    balances, _, rows = fold([credit(1, 40), clawback(2, 100, lot=1)])
    assert (rows[-1].points, rows[-1].uncollected, rows[-1].balance_after) == (-40, 60, 0)
    assert balances[("shop", "ada")] == Balance(balance=0, lifetime_earned=40, clawed_back=40)


def test_a_shop_that_allows_it_takes_the_balance_negative_and_the_next_credit_repays_first() -> None:
    balances, lots, rows = fold([credit(1, 40), clawback(2, 100, lot=1, negative=True), credit(3, 25)])
    assert [(r.points, r.uncollected, r.balance_after) for r in rows] == [(40, 0, 40), (-100, 0, -60), (25, 0, -35)]
    assert balances[("shop", "ada")].owed == 35
    assert remaining(lots) == {"lot-1": 0, "lot-3": 0}


def test_a_clawback_takes_its_own_lot_even_when_expired_but_no_other_expired_lot() -> None:
    later = NOW + 400 * DAY
    _, lots, rows = fold([credit(1, 30), credit(2, 30), clawback(3, 50, lot=1, at=later)])
    assert remaining(lots) == {"lot-1": 0, "lot-2": 30}
    assert (rows[-1].points, rows[-1].uncollected) == (-30, 20)


def test_a_negative_clawback_and_a_credit_reopening_a_lot_are_rejected() -> None:
    [(_, reason)] = project({}, set(), [credit(1, 10), clawback(2, -5, lot=1)]).rejected
    assert reason.startswith("ledger points are never negative")
    reopened = LedgerRecord("other", "shop", "bo", "earned", 5, "order", "x", NOW, "lot-1", NOW, NOW + DAY, 0, 9)
    assert "opened by another entry" in project({}, set(), [credit(1, 10), reopened]).rejected[0][1]


# A ledger of credits (some pending, some short-lived) and clawbacks for a few customers, with duplicates.
entries = st.one_of(
    st.builds(
        credit, st.integers(0, 25), st.integers(0, 500), st.sampled_from(["ada", "bo"]), st.sampled_from([0, 14]),
        st.sampled_from([30, 365]),
    ),
    st.builds(
        clawback, st.integers(0, 25), st.integers(0, 700), st.one_of(st.none(), st.integers(0, 25)),
        st.sampled_from(["ada", "bo"]), st.booleans(), st.sampled_from([NOW, NOW + 20 * DAY, NOW + 100 * DAY]),
    ),
)  # fmt: skip
ledgers = st.lists(entries, max_size=40)


@given(ledgers)
def test_lots_are_never_negative_and_a_clawback_never_takes_more_than_it_asks(records: list[LedgerRecord]) -> None:
    _, lots, rows = fold(records)
    assert all(0 <= lot.remaining <= lot.points for owned in lots.values() for lot in owned.values())
    for row in rows:
        if row.record.kind == "clawed_back":
            assert row.points <= 0
            assert -row.points + row.uncollected == row.record.points
            assert row.uncollected == 0 or not row.record.may_go_negative


@given(ledgers)
def test_the_lots_hold_the_balance_and_whatever_is_owed(records: list[LedgerRecord]) -> None:
    balances, lots, _ = fold(records)
    for customer, balance in balances.items():
        held = sum(lot.remaining for lot in lots.get(customer, {}).values())
        assert held - balance.owed == balance.balance
        assert balance.balance == balance.lifetime_earned - balance.clawed_back
        if balance.owed == 0:
            assert held == balance.balance >= 0


@given(ledgers, st.lists(st.integers(0, 40), max_size=5))
def test_replaying_the_ledger_in_any_batches_gives_identical_rows_lots_and_balances(
    records: list[LedgerRecord], cuts: list[int]
) -> None:
    assert fold(records, cuts) == fold(records)
    balances, lots, rows = fold(records)
    again = project(balances, {row.record.entry_id for row in rows}, records, lots)
    assert (again.rows, dict(again.balances), dict(again.lots)) == ((), {}, {})
