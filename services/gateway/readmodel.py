"""The read model's fold: a ledger entry applied to a customer's totals. Pure: standard library only.

The projector runs this fold; `balance_after` on each ledger row is its result, so a rebuild
from the log gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class Entry:
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


@dataclass(frozen=True)
class Totals:
    balance: int = 0
    lifetime_earned: int = 0
    redeemed: int = 0
    expired: int = 0


def apply(totals: Totals, entry: Entry) -> Totals:
    if entry.kind == "earned":
        return replace(
            totals, balance=totals.balance + entry.points, lifetime_earned=totals.lifetime_earned + entry.points
        )
    raise ValueError(f"unknown ledger entry kind {entry.kind!r}")


@dataclass(frozen=True)
class Lot:
    points: int
    available_at: datetime
    expires_at: datetime


def available_and_pending(lots: list[Lot], now: datetime) -> tuple[int, int]:
    """A lot counts as pending until its return window ends, then available until it expires."""
    live = [lot for lot in lots if lot.expires_at > now]
    available = sum(lot.points for lot in live if lot.available_at <= now)
    return available, sum(lot.points for lot in live) - available


def expiring(lots: list[Lot], now: datetime) -> list[Lot]:
    """Every upcoming lot with points left, soonest first."""
    return sorted((lot for lot in lots if lot.expires_at > now and lot.points > 0), key=lambda lot: lot.expires_at)
