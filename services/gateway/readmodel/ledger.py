"""The ledger fold: ledger records -> per-customer balances, lots and ledger rows. Pure.

`evolve` applies one record to a customer's balance and lots; `project` folds a batch, skipping
entries already projected (known entry ids, or the same id twice in the batch) and giving each new
row its `balance_after`. A credit (`earned`) opens a lot; a clawback (`clawed_back`) collects from
the lots (`lots.take`). What the lots cannot cover is `uncollected` on the row, unless the shop lets
the balance go negative: then it is `owed`, and the next credits repay it before opening their lot.
So `balance` = Σ lots remaining - owed = lifetime_earned - redeemed - expired - clawed_back.

Known gap: redemptions, expiry entries and adjustments arrive with the redeem service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.gateway.readmodel.lots import HeldLot, take

CustomerKey = tuple[str, str]
"""(shop_id, customer_id)"""
Lots = Mapping[CustomerKey, Mapping[str, HeldLot]]
KINDS = ("earned", "clawed_back")


class InvalidEntry(ValueError):
    """A ledger record that breaks the contract; it is reported and not applied."""


@dataclass(frozen=True)
class LedgerRecord:
    entry_id: str
    shop_id: str
    customer_id: str
    kind: str
    points: int
    """What the entry credits, or what a clawback asks to take back: never negative."""
    reason: str
    source_event_id: str
    occurred_at: datetime
    lot_id: str | None
    """The lot a credit opens; the lot a clawback takes from first."""
    available_at: datetime | None
    expires_at: datetime | None
    partition: int
    offset: int
    qualifying: bool = True
    rule_version: int = 0
    may_go_negative: bool = False
    earned_entry_id: str | None = None
    """The credit a clawback reverses."""

    @property
    def customer(self) -> CustomerKey:
        return (self.shop_id, self.customer_id)


@dataclass(frozen=True)
class Balance:
    balance: int = 0
    """Points held: every credit minus every debit, whatever the state of their lots."""
    lifetime_earned: int = 0
    redeemed: int = 0
    expired: int = 0
    clawed_back: int = 0
    """Taken back by refunds: collected from lots, plus what went below zero."""
    owed: int = 0
    """How far below zero a clawback took the balance; the next credits repay it."""


@dataclass(frozen=True)
class LedgerRow:
    record: LedgerRecord
    balance_after: int
    points: int
    """Signed: what the entry changed the balance by."""
    uncollected: int = 0
    """What a clawback could not collect (the balance did not cover it and may not go negative)."""


@dataclass(frozen=True)
class Step:
    balance: Balance
    lots: Mapping[str, HeldLot]
    """The customer's lots this entry opened or changed."""
    row: LedgerRow


@dataclass(frozen=True)
class Projection:
    """One batch folded: the new rows, the balances and lots they changed, and what was left out."""

    rows: tuple[LedgerRow, ...] = ()
    balances: Mapping[CustomerKey, Balance] = field(default_factory=dict)
    lots: Lots = field(default_factory=dict)
    duplicates: int = 0
    rejected: tuple[tuple[LedgerRecord, str], ...] = ()


def evolve(balance: Balance, lots: Mapping[str, HeldLot], record: LedgerRecord) -> Step:
    """One record on one customer: `lots` are all of the customer's lots (a clawback may take from any)."""
    if record.kind not in KINDS:
        raise InvalidEntry(f"unknown ledger entry kind {record.kind!r}")
    if record.points < 0:
        raise InvalidEntry(f"ledger points are never negative, got {record.points}")
    if record.kind == "earned":
        return _credit(balance, record)
    return _clawback(balance, lots, record)


def _credit(balance: Balance, record: LedgerRecord) -> Step:
    if record.lot_id is None or record.available_at is None or record.expires_at is None:
        raise InvalidEntry("a credit opens a lot: lot_id, available_at and expires_at are required")
    repaid = min(record.points, balance.owed)
    lot = HeldLot(record.lot_id, record.points, record.points - repaid, record.available_at, record.expires_at)
    after = replace(
        balance,
        balance=balance.balance + record.points,
        lifetime_earned=balance.lifetime_earned + record.points,
        owed=balance.owed - repaid,
    )
    return Step(after, {lot.lot_id: lot}, LedgerRow(record, after.balance, record.points))


def _clawback(balance: Balance, lots: Mapping[str, HeldLot], record: LedgerRecord) -> Step:
    changed, collected = take(lots, record.lot_id, record.points, record.occurred_at)
    beyond = record.points - collected
    below_zero = beyond if record.may_go_negative else 0
    taken = collected + below_zero
    after = replace(
        balance,
        balance=balance.balance - taken,
        clawed_back=balance.clawed_back + taken,
        owed=balance.owed + below_zero,
    )
    return Step(after, changed, LedgerRow(record, after.balance, -taken, beyond - below_zero))


def project(
    balances: Mapping[CustomerKey, Balance],
    known: AbstractSet[str],
    records: Iterable[LedgerRecord],
    lots: Lots | None = None,
) -> Projection:
    """Folds records in log order onto `balances` and `lots`; entries in `known` (or seen earlier) are duplicates.

    `lots` must hold every lot of each customer a clawback in `records` is for, and every existing
    lot whose id a credit in `records` names (a credit may not reopen a lot).
    """
    current, held = dict(balances), {customer: dict(owned) for customer, owned in (lots or {}).items()}
    opened = {lot_id for owned in held.values() for lot_id in owned}
    changed: dict[CustomerKey, Balance] = {}
    touched: dict[CustomerKey, dict[str, HeldLot]] = {}
    seen, rows, rejected, duplicates = set(known), [], [], 0
    for record in records:
        if record.entry_id in seen:
            duplicates += 1
            continue
        try:
            if record.kind == "earned" and record.lot_id in opened:
                raise InvalidEntry(f"lot {record.lot_id!r} was opened by another entry")
            step = evolve(current.get(record.customer, Balance()), held.get(record.customer, {}), record)
        except InvalidEntry as exc:
            rejected.append((record, str(exc)))
            continue
        seen.add(record.entry_id)
        opened |= {record.lot_id} if record.kind == "earned" and record.lot_id else set()
        current[record.customer] = changed[record.customer] = step.balance
        held.setdefault(record.customer, {}).update(step.lots)
        touched.setdefault(record.customer, {}).update(step.lots)
        rows.append(step.row)
    return Projection(tuple(rows), changed, touched, duplicates, tuple(rejected))
