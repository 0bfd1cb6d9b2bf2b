"""Earning: paid orders become ledger credits (lots). Pure: no I/O, no framework.

Decider shape: `decide(command, state, program) -> list[event]`, `evolve(state, event) -> state`.
The state is one customer's earning record; the stream processor keeps it per customer key.

Known gaps: base rate only (1 point per whole currency unit by default, floored once);
multipliers, campaigns, bonuses, caps, tasks, refunds and tiers come with the earning rules.
Duplicate detection is per customer: an `event_id` reused for another customer of the same
shop is not recognised as a duplicate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction

from services.earn.currencies import minor_unit_exponent


class ContractViolation(ValueError):
    """The event breaks a rule of the contract (DESIGN §3); it goes to the dead-letter topic."""


@dataclass(frozen=True)
class OrderLine:
    sku: str
    category: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class OrderPaid:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    order_id: str
    currency: str
    total_minor: int
    lines: tuple[OrderLine, ...] = ()


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


@dataclass(frozen=True)
class Program:
    """A shop's earning program (the slice: base rate, return window, lot lifetime)."""

    version: int = 0
    points_per_unit: Fraction = Fraction(1)
    return_window: timedelta = timedelta(0)
    lot_lifetime: timedelta = timedelta(days=365)


@dataclass(frozen=True)
class Earnings:
    """One customer's earning state: which events were applied and what they earned."""

    seen_event_ids: frozenset[str] = field(default_factory=frozenset)
    lifetime_earned: int = 0
    orders: int = 0


def validate(order: OrderPaid) -> None:
    if order.total_minor < 0:
        raise ContractViolation(f"total_minor is negative ({order.total_minor})")
    if minor_unit_exponent(order.currency) is None:
        raise ContractViolation(f"currency {order.currency!r} is not an ISO 4217 code")
    for line in order.lines:
        if line.quantity <= 0 or line.unit_price_minor < 0:
            raise ContractViolation(f"line {line.sku!r} has a non-positive quantity or negative price")


def base_points(order: OrderPaid, program: Program) -> int:
    exponent = minor_unit_exponent(order.currency)
    assert exponent is not None  # validated
    raw = Fraction(order.total_minor, 10**exponent) * program.points_per_unit
    return int(raw.__floor__())


def entry_id(shop_id: str, event_id: str, kind: str) -> str:
    """Deterministic, so a replay or a retried transaction writes the same entry (128-bit hex)."""
    return hashlib.blake2b(f"{shop_id}\x1f{event_id}\x1f{kind}".encode(), digest_size=16).hexdigest()


def decide(order: OrderPaid, state: Earnings, program: Program) -> list[PointsEarned]:
    validate(order)
    points = base_points(order, program)
    if order.event_id in state.seen_event_ids:
        return []
    entry = entry_id(order.shop_id, order.event_id, "earned")
    return [
        PointsEarned(
            entry_id=entry,
            shop_id=order.shop_id,
            customer_id=order.customer_id,
            occurred_at=order.occurred_at,
            points=points,
            source_event_id=order.event_id,
            source_type="OrderPaid",
            order_id=order.order_id,
            reason=f"order {order.order_id}",
            lot_id=entry,
            available_at=order.occurred_at + program.return_window,
            expires_at=order.occurred_at + program.lot_lifetime,
            rule_version=program.version,
        )
    ]


def evolve(state: Earnings, event: PointsEarned) -> Earnings:
    return replace(
        state,
        seen_event_ids=state.seen_event_ids | {event.source_event_id},
        lifetime_earned=state.lifetime_earned + event.points,
        orders=state.orders + (event.source_type == "OrderPaid"),
    )
