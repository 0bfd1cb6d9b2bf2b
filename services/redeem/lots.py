"""Lots: each credit's points, what is left of them, and which lots a debit takes. Pure.

A lot is pending until `available_at`, available from then until `expires_at`, and gone after.
Debits (redemptions, adjustments, transfers out) take available lots nearest expiry first; a
clawback takes the refunded order's own lot first (whatever its state), then the other lots
alive at its event time, available before pending, nearest expiry first. Every movement is a
list of `LotShare`s, so the ledger names the exact points each lot gave or got back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from services.lot_times import phase

Lots = Mapping[str, "Lot"]


@dataclass(frozen=True)
class LotShare:
    """Points taken from, put back into, or given as one lot."""

    lot_id: str
    points: int
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Lot:
    lot_id: str
    points: int
    """Credited when the lot was opened."""
    remaining: int
    available_at: datetime
    expires_at: datetime

    def alive(self, at: datetime) -> bool:
        return phase(self.available_at, self.expires_at, at) != "gone"

    def available(self, at: datetime) -> bool:
        return phase(self.available_at, self.expires_at, at) == "available"

    def pending(self, at: datetime) -> bool:
        return phase(self.available_at, self.expires_at, at) == "pending"


def available(lots: Lots, owed: int, at: datetime) -> int:
    """Points that can be spent at `at`: available lots, less what the customer owes (may be negative)."""
    return sum(lot.remaining for lot in lots.values() if lot.available(at)) - owed


def pending(lots: Lots, at: datetime) -> int:
    return sum(lot.remaining for lot in lots.values() if lot.pending(at))


def upcoming(lots: Lots, at: datetime) -> tuple[Lot, ...]:
    """Every lot still holding points at `at`, nearest expiry first."""
    return tuple(sorted((lot for lot in lots.values() if lot.remaining > 0 and lot.alive(at)), key=_nearest))


def spend(lots: Lots, points: int, at: datetime) -> tuple[LotShare, ...]:
    """Up to `points` from the lots available at `at`, nearest expiry first."""
    return _take(sorted((lot for lot in lots.values() if lot.available(at)), key=_nearest), points)


def collect(lots: Lots, own: str | None, points: int, at: datetime) -> tuple[LotShare, ...]:
    """Up to `points` for a clawback: the order's own lot first, then the others alive at `at`."""
    first = [lots[own]] if own is not None and own in lots else []
    others = sorted(
        (lot for lot in lots.values() if lot.lot_id != own and lot.alive(at)),
        key=lambda lot: (lot.pending(at), *_nearest(lot)),
    )
    return _take([*first, *others], points)


def debit(lots: Lots, shares: Iterable[LotShare]) -> dict[str, Lot]:
    """`lots` after taking each share; a share above what its lot holds breaks the ledger."""
    after = dict(lots)
    for share in shares:
        lot = after.get(share.lot_id)
        if lot is None or not 0 <= share.points <= lot.remaining:
            raise ValueError(f"share {share} does not fit lot {lot}")
        after[share.lot_id] = replace(lot, remaining=lot.remaining - share.points)
    return after


def put_back(lots: Lots, shares: Iterable[LotShare]) -> dict[str, Lot]:
    """`lots` after giving each share back to its lot; never above what the lot was opened with."""
    after = dict(lots)
    for share in shares:
        lot = after.get(share.lot_id)
        if lot is None or not 0 <= share.points <= lot.points - lot.remaining:
            raise ValueError(f"share {share} cannot go back into lot {lot}")
        after[share.lot_id] = replace(lot, remaining=lot.remaining + share.points)
    return after


def open_lot(lots: Lots, lot: Lot) -> dict[str, Lot]:
    if lot.lot_id in lots:
        raise ValueError(f"lot {lot.lot_id} is already open")
    return {**lots, lot.lot_id: lot}


def _nearest(lot: Lot) -> tuple[datetime, datetime, str]:
    return (lot.expires_at, lot.available_at, lot.lot_id)


def _take(order: Iterable[Lot], points: int) -> tuple[LotShare, ...]:
    shares, left = [], points
    for lot in order:
        if left <= 0:
            break
        taken = min(left, lot.remaining)
        if taken > 0:
            shares.append(LotShare(lot.lot_id, taken, lot.expires_at))
            left -= taken
    return tuple(shares)
