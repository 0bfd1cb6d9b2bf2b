"""Lots: each credit's points, what is left of them, and when they are pending, available and gone. Pure.

`take` is how a clawback collects: the refunded order's own lot first (whatever its state), then
the other lots still alive at the clawback's event time, available ones before pending ones, nearest
expiry first. Event time, never the clock, so a replay collects from the same lots.
`view` turns a customer's lots into what a storefront shows at a given time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime


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

    def alive(self, at: datetime) -> bool:
        return self.remaining > 0 and self.expires_at > at


def take(lots: Mapping[str, HeldLot], own: str | None, points: int, at: datetime) -> tuple[dict[str, HeldLot], int]:
    """Collects up to `points` from a customer's lots; returns the lots it changed and what it collected."""
    others = sorted(
        (lot for lot_id, lot in lots.items() if lot_id != own and lot.alive(at)),
        key=lambda lot: (lot.available_at > at, lot.expires_at, lot.lot_id),
    )
    order = ([lots[own]] if own is not None and own in lots else []) + others
    changed: dict[str, HeldLot] = {}
    left = points
    for lot in order:
        if left <= 0:
            break
        taken = min(left, lot.remaining)
        if taken > 0:
            changed[lot.lot_id] = replace(lot, remaining=lot.remaining - taken)
            left -= taken
    return changed, points - left


@dataclass(frozen=True)
class BalanceView:
    available: int
    pending: int
    expiring: tuple[Lot, ...]


def view(lots: Iterable[Lot], now: datetime, owed: int = 0) -> BalanceView:
    """A lot is pending until its return window ends, then available; past its expiry it counts no more.

    Points `owed` (a clawback the shop lets go below zero) make `available` negative until
    later credits repay them. Expired lots leave the view at once, before an `expired` entry exists.
    """
    live = sorted((lot for lot in lots if lot.expires_at > now and lot.points > 0), key=lambda lot: lot.expires_at)
    available = sum(lot.points for lot in live if lot.available_at <= now)
    return BalanceView(available - owed, sum(lot.points for lot in live) - available, tuple(live))
