"""What earn decides: ledger credits and clawbacks, and the facts it keeps for later decisions. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from services.earn.commands import CustomerUpdated
from services.records import TierChanged


@dataclass(frozen=True)
class PointsEarned:
    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    points: int
    source_event_id: str
    source_type: str
    order_id: str | None
    reason: str
    lot_id: str
    available_at: datetime
    expires_at: datetime
    rule_version: int
    tier: str = "member"
    multipliers: tuple[tuple[str, Fraction], ...] = ()
    weighted_minor: int | None = None
    base_points: int = 0
    bonuses: tuple[tuple[str, int], ...] = ()
    capped_points: int = 0
    order_total_minor: int | None = None
    qualifying: bool = True
    held: str | None = None


@dataclass(frozen=True)
class PointsClawedBack:
    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    points: int
    source_event_id: str
    order_id: str
    refund_id: str
    reason: str
    lot_id: str | None
    earned_entry_id: str | None
    refunded_minor: int
    rule_version: int
    qualifying: bool
    may_go_negative: bool


@dataclass(frozen=True)
class RefundAwaitingOrder:
    """A refund of an order not seen yet: remembered, and clawed back when the order arrives."""

    event_id: str
    order_id: str
    refund_id: str
    amount_minor: int
    occurred_at: datetime


@dataclass(frozen=True)
class TaskCounted:
    """A paid task, for its limits: the period counter it adds to and the `(task, ref)` it uses up."""

    counter: str | None
    once: str | None


LedgerEvent = PointsEarned | PointsClawedBack
Event = PointsEarned | PointsClawedBack | RefundAwaitingOrder | CustomerUpdated | TierChanged | TaskCounted


def entry_id(shop_id: str, event_id: str, kind: str) -> str:
    """Deterministic, so a replay or a retried transaction writes the same entry (128-bit hex)."""
    return hashlib.blake2b(f"{shop_id}\x1f{event_id}\x1f{kind}".encode(), digest_size=16).hexdigest()
