"""What earn is told: paid orders, refunds, completed tasks, and the facts it keeps (profiles, tiers). Pure.

A tier change is the record tier writes (`services.records.TierChanged`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.earn.points import Line
from services.records import TierChanged


@dataclass(frozen=True)
class OrderPaid:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    order_id: str
    currency: str
    total_minor: int
    lines: tuple[Line, ...] = ()


OrderLine = Line


@dataclass(frozen=True)
class OrderRefunded:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    order_id: str
    refund_id: str
    amount_minor: int


@dataclass(frozen=True)
class TaskCompleted:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    task: str
    ref: str | None = None


@dataclass(frozen=True)
class CustomerUpdated:
    event_id: str
    occurred_at: datetime
    tags: frozenset[str]
    birth_month: int | None
    birth_day: int | None


Command = OrderPaid | OrderRefunded | TaskCompleted | CustomerUpdated | TierChanged
