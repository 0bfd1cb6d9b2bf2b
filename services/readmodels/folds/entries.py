"""One ledger record applied to one customer's balance and lots. Pure.

Credits open lots: earn's (`earned`) whole, the redeem service repaying what is owed from them
with an `owed_repaid` entry; its own (an `adjusted` credit, a `transferred` in) repaying it first, as
it decided them in log order. Debits (`clawed_back`, `redeemed`, `expired`, an
`adjusted` debit, a `transferred` out) take the lot shares the redeem service named; `restored`
puts its shares back. A claim (`clawback_claimed`) changes nothing: the collection that follows
does. Every entry whose shares do not add up to its points, or do not fit its lots, is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from services.readmodels.folds.lots import HeldLot, InvalidEntry, Share, debit, put_back
from services.readmodels.folds.records import KINDS, Balance, LedgerRecord, LedgerRow

SIGNED = ("adjusted", "transferred")


@dataclass(frozen=True)
class Step:
    balance: Balance
    lots: Mapping[str, HeldLot]
    """The customer's lots this entry opened or changed."""
    row: LedgerRow


def opens(record: LedgerRecord) -> tuple[str, ...]:
    """The ids of the lots a credit opens."""
    if record.kind == "earned":
        return () if record.lot_id is None else (record.lot_id,)
    if record.kind in SIGNED and record.points > 0:
        return tuple(share.lot_id for share in record.shares)
    return ()


def evolve(balance: Balance, lots: Mapping[str, HeldLot], record: LedgerRecord) -> Step:
    """`lots` are the customer's lots that `record` names (all of them will do)."""
    if record.kind not in KINDS:
        raise InvalidEntry(f"unknown ledger entry kind {record.kind!r}")
    if record.kind in SIGNED and record.points == 0:
        raise InvalidEntry(f"an {record.kind} entry moves points, got 0")
    if record.kind not in SIGNED and record.points < 0:
        raise InvalidEntry(f"ledger points are never negative, got {record.points}")
    if min(record.owed, record.uncollected, *(s.points for s in record.shares)) < 0:
        raise InvalidEntry("owed, uncollected and lot shares are never negative")
    return APPLY[record.kind](balance, lots, record)


def _earned(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    if r.lot_id is None or r.available_at is None or r.expires_at is None:
        raise InvalidEntry("a credit opens a lot: lot_id, available_at and expires_at are required")
    # Earn's credits open whole lots: the redeem service repays what is owed with an `owed_repaid`.
    b, lot = _open(b, r.lot_id, r.points, r.available_at, r.expires_at, repay=False)
    after = replace(b, balance=b.balance + r.points, lifetime_earned=b.lifetime_earned + r.points)
    return Step(after, {lot.lot_id: lot}, LedgerRow(r, after.balance, r.points))


def _claimed(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    return Step(b, {}, LedgerRow(r, b.balance, 0))


def _collected(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    changed = debit(lots, _adding_up(r.shares, r.points))
    taken = r.points + r.owed
    after = replace(b, balance=b.balance - taken, clawed_back=b.clawed_back + taken, owed=b.owed + r.owed)
    return Step(after, changed, LedgerRow(r, after.balance, -taken, r.uncollected))


def _redeemed(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    changed = debit(lots, _adding_up(r.shares, r.points))
    after = replace(b, balance=b.balance - r.points, redeemed=b.redeemed + r.points)
    return Step(after, changed, LedgerRow(r, after.balance, -r.points))


def _restored(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    changed = put_back(lots, _adding_up(r.shares, r.points))
    after = replace(b, balance=b.balance + r.points, redeemed=b.redeemed - r.points)
    return Step(after, changed, LedgerRow(r, after.balance, r.points))


def _expired(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    """What was left of the lot when it expired (all of it: the redeem service expires what it holds)."""
    if r.lot_id is None:
        raise InvalidEntry("an expiry names its lot")
    changed = debit(lots, [Share(r.lot_id, r.points)])
    after = replace(b, balance=b.balance - r.points, expired=b.expired + r.points)
    return Step(after, changed, LedgerRow(r, after.balance, -r.points))


def _adjusted(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    if r.points > 0:
        if len(r.shares) != 1 or r.shares[0].points != r.points or r.available_at is None:
            raise InvalidEntry("an adjustment credit opens one lot of its points, with its dates")
        expires_at = r.expires_at or r.shares[0].expires_at
        if expires_at is None:
            raise InvalidEntry("an adjustment credit opens a lot: expires_at is required")
        b, lot = _open(b, r.shares[0].lot_id, r.points, r.available_at, expires_at)
        changed = {lot.lot_id: lot}
    else:
        changed = debit(lots, _adding_up(r.shares, -r.points - r.owed))
        b = replace(b, owed=b.owed + r.owed)
    after = replace(b, balance=b.balance + r.points, adjusted=b.adjusted + r.points)
    return Step(after, changed, LedgerRow(r, after.balance, r.points))


def _transferred(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    if r.points < 0:
        changed = debit(lots, _adding_up(r.shares, -r.points))
        after = replace(b, balance=b.balance + r.points, transferred_out=b.transferred_out - r.points)
        return Step(after, changed, LedgerRow(r, after.balance, r.points))
    if any(s.points < 1 or s.expires_at is None for s in _adding_up(r.shares, r.points)):
        raise InvalidEntry("a transfer in opens one lot per share, each with points and an expiry date")
    if len({s.lot_id for s in r.shares}) != len(r.shares):
        raise InvalidEntry("a transfer in opens each lot once")
    changed = {}
    for share in r.shares:
        if share.expires_at is None:  # checked above; narrows the type
            raise InvalidEntry("a transfer in opens one lot per share, each with points and an expiry date")
        b, changed[share.lot_id] = _open(b, share.lot_id, share.points, r.occurred_at, share.expires_at)
    after = replace(b, balance=b.balance + r.points, transferred_in=b.transferred_in + r.points)
    return Step(after, changed, LedgerRow(r, after.balance, r.points))


def _owed_repaid(b: Balance, lots: Mapping[str, HeldLot], r: LedgerRecord) -> Step:
    if r.points > b.owed:
        raise InvalidEntry(f"repays {r.points} points, {b.owed} are owed")
    changed = debit(lots, _adding_up(r.shares, r.points))
    after = replace(b, owed=b.owed - r.points)
    return Step(after, changed, LedgerRow(r, after.balance, 0))


def _open(
    b: Balance, lot_id: str, points: int, available_at: datetime, expires_at: datetime, repay: bool = True
) -> tuple[Balance, HeldLot]:
    """A new lot of `points`; what the customer owes is repaid from it first (for the redeem service's
    own credits, which it decided in the order they are in the log)."""
    repaid = min(points, b.owed) if repay else 0
    return replace(b, owed=b.owed - repaid), HeldLot(lot_id, points, points - repaid, available_at, expires_at)


def _adding_up(shares: Iterable[Share], points: int) -> tuple[Share, ...]:
    shares = tuple(shares)
    if sum(s.points for s in shares) != points:
        raise InvalidEntry(f"lot shares add up to {sum(s.points for s in shares)}, the entry says {points}")
    return shares


APPLY: dict[str, Callable[[Balance, Mapping[str, HeldLot], LedgerRecord], Step]] = {
    "earned": _earned, "clawback_claimed": _claimed, "clawed_back": _collected, "redeemed": _redeemed,
    "restored": _restored, "expired": _expired, "adjusted": _adjusted, "transferred": _transferred,
    "owed_repaid": _owed_repaid,
}  # fmt: skip
