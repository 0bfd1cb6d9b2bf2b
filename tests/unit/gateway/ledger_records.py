"""Builders of ledger records as the projector reads them, and the projector's fold over batches."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.readmodels.folds import Balance, CustomerKey, HeldLot, LedgerRecord, LedgerRow, Lots, Share, project

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)
State = tuple[dict[CustomerKey, Balance], dict[CustomerKey, dict[str, HeldLot]], list[LedgerRow]]
Shares = Iterable[tuple[int, int]]
"""(lot number, points) pairs naming lots `lot-{n}`."""


def entry(kind: str, n: int, points: int, customer: str = "ada", **fields: object) -> LedgerRecord:
    record = LedgerRecord(f"{kind}-{n}", "shop", customer, kind, points, kind, f"event-{n}", NOW, None, None, None,
                          0, n)  # fmt: skip
    return replace(record, **fields)  # type: ignore[arg-type]


def shares(pairs: Shares, expires_at: datetime | None = None) -> tuple[Share, ...]:
    return tuple(Share(f"lot-{lot}", points, expires_at) for lot, points in pairs)


def credit(n: int, points: int, customer: str = "ada", pending_days: int = 0, expires_days: int = 365) -> LedgerRecord:
    return entry("earned", n, points, customer, lot_id=f"lot-{n}", available_at=NOW + pending_days * DAY,
                 expires_at=NOW + expires_days * DAY)  # fmt: skip


def claim(n: int, points: int, lot: int | None = None, customer: str = "ada") -> LedgerRecord:
    lot_id = None if lot is None else f"lot-{lot}"
    return entry("clawback_claimed", n, points, customer, lot_id=lot_id, earned_entry_id=lot_id)


def collected(n: int, taken: Shares, owed: int = 0, uncollected: int = 0, customer: str = "ada") -> LedgerRecord:
    named = shares(taken)
    return entry("clawed_back", n, sum(s.points for s in named), customer, shares=named, owed=owed,
                 uncollected=uncollected, qualifying=False)  # fmt: skip


def debit(kind: str, n: int, taken: Shares, customer: str = "ada") -> LedgerRecord:
    """A `redeemed` or `restored` entry of these shares."""
    named = shares(taken)
    return entry(kind, n, sum(s.points for s in named), customer, shares=named, qualifying=False)


def expired(n: int, lot: int, points: int, customer: str = "ada") -> LedgerRecord:
    return entry("expired", n, points, customer, lot_id=f"lot-{lot}", qualifying=False)


def adjusted(n: int, points: int, taken: Shares = (), owed: int = 0, customer: str = "ada") -> LedgerRecord:
    """A credit opens lot `lot-{n}`; a debit takes `taken`."""
    if points > 0:
        return entry("adjusted", n, points, customer, shares=shares([(n, points)]), available_at=NOW,
                     expires_at=NOW + 30 * DAY, qualifying=False)  # fmt: skip
    return entry("adjusted", n, points, customer, shares=shares(taken), owed=owed, qualifying=False)


def transferred(n: int, points: int, moved: Shares, customer: str = "ada") -> LedgerRecord:
    return entry("transferred", n, points, customer, shares=shares(moved, NOW + 90 * DAY), qualifying=False)


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
    return {lot_id: lot.remaining for lot_id, lot in sorted(lots.get(("shop", customer), {}).items())}
