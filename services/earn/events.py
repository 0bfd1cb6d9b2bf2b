"""What earn decides: ledger credits and clawbacks (the records of `services.records`), and the facts it keeps
for later decisions. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.earn.commands import CustomerUpdated
from services.ids import derived_id
from services.records import PointsClawedBack, PointsEarned, TierChanged


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
    return derived_id(shop_id, event_id, kind)
