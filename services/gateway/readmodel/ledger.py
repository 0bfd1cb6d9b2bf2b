"""The gateway's read model as a fold: ledger records -> per-customer balances and ledger rows.

Pure (standard library only), so the projector, a rebuild from the log and the tests agree.
`evolve` applies one record to a balance; `project` folds a batch, skipping entries already
projected (known entry ids, or the same id twice in the batch) and giving each new row its
`balance_after`; `view` turns a customer's lots into what a storefront shows at a given time.

Known gap: only credits (`earned`) are on the ledger so far; debits, expiry entries and
adjustments arrive with the redeem service, and will then consume lots here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import datetime

CustomerKey = tuple[str, str]
"""(shop_id, customer_id)"""


class InvalidEntry(ValueError):
    """A ledger record that breaks the contract; it is reported and not applied."""


@dataclass(frozen=True)
class Lot:
    points: int
    available_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class LedgerRecord:
    entry_id: str
    shop_id: str
    customer_id: str
    kind: str
    points: int
    reason: str
    source_event_id: str
    occurred_at: datetime
    lot_id: str | None
    available_at: datetime | None
    expires_at: datetime | None
    partition: int
    offset: int

    @property
    def customer(self) -> CustomerKey:
        return (self.shop_id, self.customer_id)

    @property
    def lot(self) -> Lot | None:
        """The lot a credit opens; None for entries that open none."""
        if self.kind != "earned" or self.available_at is None or self.expires_at is None:
            return None
        return Lot(self.points, self.available_at, self.expires_at)


@dataclass(frozen=True)
class Balance:
    balance: int = 0
    """Points held: every credit minus every debit, whatever the state of their lots."""
    lifetime_earned: int = 0
    redeemed: int = 0
    expired: int = 0


@dataclass(frozen=True)
class LedgerRow:
    record: LedgerRecord
    balance_after: int


@dataclass(frozen=True)
class Projection:
    """One batch folded: the new rows, the balances they changed, and what was left out."""

    rows: tuple[LedgerRow, ...] = ()
    balances: Mapping[CustomerKey, Balance] = field(default_factory=dict)
    duplicates: int = 0
    rejected: tuple[tuple[LedgerRecord, str], ...] = ()


def evolve(balance: Balance, record: LedgerRecord) -> Balance:
    if record.kind != "earned":
        raise InvalidEntry(f"unknown ledger entry kind {record.kind!r}")
    if record.points < 0:
        raise InvalidEntry(f"a credit is never negative, got {record.points}")
    return replace(
        balance, balance=balance.balance + record.points, lifetime_earned=balance.lifetime_earned + record.points
    )


def project(
    balances: Mapping[CustomerKey, Balance], known: AbstractSet[str], records: Iterable[LedgerRecord]
) -> Projection:
    """Folds records in log order onto `balances`; entries in `known` (or seen earlier) are duplicates."""
    current, changed = dict(balances), {}
    seen, rows, rejected, duplicates = set(known), [], [], 0
    for record in records:
        if record.entry_id in seen:
            duplicates += 1
            continue
        try:
            after = evolve(current.get(record.customer, Balance()), record)
        except InvalidEntry as exc:
            rejected.append((record, str(exc)))
            continue
        seen.add(record.entry_id)
        current[record.customer] = changed[record.customer] = after
        rows.append(LedgerRow(record, after.balance))
    return Projection(tuple(rows), changed, duplicates, tuple(rejected))


@dataclass(frozen=True)
class BalanceView:
    available: int
    pending: int
    expiring: tuple[Lot, ...]


def view(lots: Iterable[Lot], now: datetime) -> BalanceView:
    """A lot is pending until its return window ends, then available; past its expiry it counts no more.

    Expired lots leave the view at once, before the redeem service records their `expired` entry.
    """
    live = sorted((lot for lot in lots if lot.expires_at > now and lot.points > 0), key=lambda lot: lot.expires_at)
    available = sum(lot.points for lot in live if lot.available_at <= now)
    return BalanceView(available, sum(lot.points for lot in live) - available, tuple(live))
