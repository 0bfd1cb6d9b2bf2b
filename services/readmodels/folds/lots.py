"""Lots: each credit's points, what is left of them, and when they are pending, available and gone. Pure.

The read model never chooses lots: the redeem service names the lot shares of every debit
(decision 0002), and `debit` / `put_back` apply them, refusing a share that names a lot the
customer does not hold, or more than the lot has left (or, put back, more than it gave).
`view` turns a customer's lots into what a storefront shows at a given time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from services.lot_times import Phase, phase


class InvalidEntry(ValueError):
    """A ledger record that breaks the contract; it is reported and not applied."""


@dataclass(frozen=True)
class Share:
    """Points taken from, put back into, or given as one lot."""

    lot_id: str
    points: int
    expires_at: datetime | None = None
    """The lot's expiry, where the share opens a lot (a transfer in)."""


@dataclass(frozen=True)
class Lot:
    """What a storefront sees of a lot: its points left and its dates."""

    points: int
    available_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class HeldLot:
    """A lot as the fold keeps it."""

    lot_id: str
    points: int
    """Credited when the lot was opened."""
    remaining: int
    available_at: datetime
    expires_at: datetime


def debit(lots: Mapping[str, HeldLot], shares: Iterable[Share]) -> dict[str, HeldLot]:
    """The lots after taking each share from its lot: only the lots changed."""
    changed: dict[str, HeldLot] = {}
    for share in shares:
        lot = changed.get(share.lot_id) or lots.get(share.lot_id)
        if lot is None:
            raise InvalidEntry(f"share names lot {share.lot_id!r}, which the customer does not hold")
        if not 0 <= share.points <= lot.remaining:
            raise InvalidEntry(f"share of {share.points} from lot {share.lot_id!r}, which has {lot.remaining} left")
        changed[share.lot_id] = replace(lot, remaining=lot.remaining - share.points)
    return changed


def put_back(lots: Mapping[str, HeldLot], shares: Iterable[Share]) -> dict[str, HeldLot]:
    """The lots after giving each share back to its lot, never above what the lot was opened with."""
    changed: dict[str, HeldLot] = {}
    for share in shares:
        lot = changed.get(share.lot_id) or lots.get(share.lot_id)
        if lot is None:
            raise InvalidEntry(f"share names lot {share.lot_id!r}, which the customer does not hold")
        if not 0 <= share.points <= lot.points - lot.remaining:
            raise InvalidEntry(f"share of {share.points} back into lot {share.lot_id!r}, which gave only "
                               f"{lot.points - lot.remaining}")  # fmt: skip
        changed[share.lot_id] = replace(lot, remaining=lot.remaining + share.points)
    return changed


@dataclass(frozen=True)
class BalanceView:
    available: int
    pending: int
    expiring: tuple[Lot, ...]


def view(lots: Iterable[Lot], now: datetime, owed: int = 0) -> BalanceView:
    """A lot is pending until its return window ends, then available; past its expiry it counts no more.

    Points `owed` (a clawback or an adjustment the shop lets go below zero) make `available`
    negative until later credits repay them. Expired lots leave the view at once, before an
    `expired` entry exists.
    """
    live = sorted(
        (lot for lot in lots if lot.points > 0 and _phase(lot, now) != "gone"), key=lambda lot: lot.expires_at
    )
    available = sum(lot.points for lot in live if _phase(lot, now) == "available")
    return BalanceView(available - owed, sum(lot.points for lot in live) - available, tuple(live))


def _phase(lot: Lot, now: datetime) -> Phase:
    return phase(lot.available_at, lot.expires_at, now)
