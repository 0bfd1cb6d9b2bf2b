"""The read model's fold: balances and ledger rows from ledger records, whatever the batching."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.readmodels.folds import Balance, CustomerKey, LedgerRecord, LedgerRow, Lot, project, view

NOW = datetime(2026, 6, 1, tzinfo=UTC)
State = tuple[dict[CustomerKey, Balance], list[LedgerRow]]


def entry(number: int, customer: str = "ada", points: int = 10, kind: str = "earned", offset: int = 0) -> LedgerRecord:
    return LedgerRecord(
        f"entry-{number}", "shop", customer, kind, points, "order", f"event-{number}", NOW,
        f"entry-{number}", NOW, NOW + timedelta(days=365), 0, offset,
    )  # fmt: skip


# A ledger: entry numbers drawn from a small pool (so duplicates happen), a few customers.
ledgers = st.lists(
    st.tuples(st.integers(0, 30), st.sampled_from(["ada", "bo", "cy"]), st.integers(0, 10**9)), max_size=60
).map(lambda drawn: [entry(n, c, p, offset=i) for i, (n, c, p) in enumerate(drawn)])


def fold(records: Sequence[LedgerRecord], cuts: Iterable[int] = ()) -> State:
    """What the projector does: batch after batch, carrying balances and known entry ids (its database)."""
    balances: dict[CustomerKey, Balance] = {}
    known: set[str] = set()
    rows: list[LedgerRow] = []
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(records)), len(records)]
    for start, end in itertools.pairwise(bounds):
        projection = project(balances, known, records[start:end])
        balances |= projection.balances
        known |= {row.record.entry_id for row in projection.rows}
        rows += projection.rows
    return balances, rows


def first_of_each(records: Sequence[LedgerRecord]) -> list[LedgerRecord]:
    seen: set[str] = set()
    return [r for r in records if not (r.entry_id in seen or seen.add(r.entry_id))]  # type: ignore[func-returns-value]


@given(ledgers, st.lists(st.integers(0, 60), max_size=6))
def test_replaying_the_same_entries_in_any_batches_gives_the_same_state(
    records: list[LedgerRecord], cuts: list[int]
) -> None:
    assert fold(records, cuts) == fold(records)
    assert fold(records) == fold(records)


@given(ledgers)
def test_a_duplicate_ledger_entry_does_not_change_the_balance(records: list[LedgerRecord]) -> None:
    balances, rows = fold(records)
    assert (balances, [r.record for r in rows]) == (fold(first_of_each(records))[0], first_of_each(records))
    again = project(balances, {row.record.entry_id for row in rows}, records)
    assert again.rows == ()
    assert dict(again.balances) == {}
    assert again.duplicates == len(records)


@given(ledgers)
def test_each_ledger_row_carries_the_customers_balance_after_it(records: list[LedgerRecord]) -> None:
    balances, rows = fold(records)
    running: Counter[str] = Counter()
    for row in rows:
        running[row.record.customer_id] += row.record.points
        assert row.balance_after == running[row.record.customer_id]
    assert {c: b.balance for (_, c), b in balances.items()} == dict(running)
    assert all(b.balance == b.lifetime_earned for b in balances.values())


@given(st.lists(st.tuples(st.integers(-(10**6), 10**6), st.sampled_from(["earned", "mystery"])), max_size=40))
def test_balances_are_never_negative_and_invalid_entries_are_rejected_not_applied(
    drawn: list[tuple[int, str]],
) -> None:
    records = [entry(i, points=p, kind=k, offset=i) for i, (p, k) in enumerate(drawn)]
    projection = project({}, set(), records)
    assert all(b.balance >= 0 and b.lifetime_earned >= 0 for b in projection.balances.values())
    assert {r.entry_id for r, _ in projection.rejected} == {
        r.entry_id for r in records if r.points < 0 or r.kind != "earned"
    }


def test_an_unknown_entry_kind_is_reported_with_a_reason() -> None:
    [(record, reason)] = project({}, set(), [entry(1, kind="mystery")]).rejected
    assert record.entry_id == "entry-1"
    assert "unknown ledger entry kind" in reason


def test_a_lot_is_pending_in_its_return_window_then_available_then_gone_when_expired() -> None:
    lot = Lot(100, available_at=NOW + timedelta(days=14), expires_at=NOW + timedelta(days=365))
    assert (view([lot], NOW).available, view([lot], NOW).pending) == (0, 100)
    assert (view([lot], NOW + timedelta(days=14)).available, view([lot], NOW + timedelta(days=14)).pending) == (100, 0)
    assert view([lot], NOW + timedelta(days=365)) == view([], NOW)


def test_expiring_lists_every_upcoming_lot_soonest_first() -> None:
    later, sooner = Lot(5, NOW, NOW + timedelta(days=300)), Lot(7, NOW + timedelta(days=9), NOW + timedelta(days=30))
    assert view([later, sooner, Lot(9, NOW, NOW - timedelta(days=1))], NOW).expiring == (sooner, later)


@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(-30, 30), st.integers(-30, 400)), max_size=20))
def test_available_and_pending_split_exactly_the_unexpired_points(drawn: list[tuple[int, int, int]]) -> None:
    lots = [Lot(p, NOW + timedelta(days=a), NOW + timedelta(days=e)) for p, a, e in drawn]
    seen = view(lots, NOW)
    assert seen.available + seen.pending == sum(lot.points for lot in lots if lot.expires_at > NOW)
    assert seen.available >= 0
    assert seen.pending >= 0
    assert [lot.expires_at for lot in seen.expiring] == sorted(lot.expires_at for lot in seen.expiring)


def test_points_owed_after_a_clawback_show_as_a_negative_available_balance() -> None:
    pending = Lot(10, NOW + timedelta(days=14), NOW + timedelta(days=365))
    seen = view([pending], NOW, owed=35)
    assert (seen.available, seen.pending) == (-35, 10)
