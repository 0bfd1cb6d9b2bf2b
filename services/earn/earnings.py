"""One customer's earning record and the shop's issued points per hour, and how events fold into them. Pure.

The processor keeps each `(task, ref)` paid, like each event applied and each order, as its own small
state record, and loads only the one an event needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from services import limits
from services.earn.commands import CustomerUpdated
from services.earn.events import Event, RefundAwaitingOrder, TaskCounted
from services.earn.points import Profile
from services.program import Program
from services.records import PointsClawedBack, PointsEarned, TierChanged

KEEP_PERIODS = 8
"""Days (caps, per-day task limits) and years (per-year task limits) remembered per customer."""


@dataclass(frozen=True)
class EarnedOrder:
    """What an order earned, as recorded on its entry: what refunds claw back from."""

    entry_id: str
    points: int
    total_minor: int
    rule_version: int
    qualifying: bool = True
    refunded_minor: int = 0
    clawed_back: int = 0
    refund_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Earnings:
    """One customer's earning record."""

    seen_event_ids: frozenset[str] = frozenset()
    lifetime_earned: int = 0
    clawed_back: int = 0
    orders: int = 0
    last_order_at: datetime | None = None
    tier: str = "member"
    tags: frozenset[str] = frozenset()
    birth_month: int | None = None
    birth_day: int | None = None
    earned_orders: Mapping[str, EarnedOrder] = field(default_factory=dict)
    awaiting_order: Mapping[str, tuple[RefundAwaitingOrder, ...]] = field(default_factory=dict)
    daily_points: Mapping[str, int] = field(default_factory=dict)
    """Local day (ISO date) -> points credited that day, for the daily cap."""
    task_counts: Mapping[str, int] = field(default_factory=dict)
    """"task|period" -> times paid in that period (a day or a year)."""
    task_refs: frozenset[str] = frozenset()
    """"task|ref" of tasks that pay once."""

    def profile(self, customer_id: str) -> Profile:
        return Profile(customer_id, self.tier, self.tags, self.orders, self.last_order_at, self.birth_month)


@dataclass(frozen=True)
class ShopHours:
    """Points a shop issued per event-time hour on this partition (for the circuit breaker)."""

    issued: Mapping[str, int] = field(default_factory=dict)


NO_HOURS = ShopHours()


def local_day(when: datetime, program: Program) -> str:
    return when.astimezone(program.zone).date().isoformat()


def hour_of(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H")


def evolve(state: Earnings, event: Event, program: Program) -> Earnings:
    """Applies one event; `program` is the one it was decided with (its time zone keeps the days)."""
    match event:
        case PointsEarned():
            return _earned(state, event, program)
        case PointsClawedBack():
            return _clawed_back(state, event)
        case TaskCounted():
            return replace(
                state,
                task_counts=state.task_counts
                if event.counter is None
                else _recent(state.task_counts, event.counter, 1),
                task_refs=state.task_refs if event.once is None else state.task_refs | {event.once},
            )
        case RefundAwaitingOrder():
            awaiting = dict(state.awaiting_order)
            awaiting[event.order_id] = (*awaiting.get(event.order_id, ()), event)
            return replace(state, seen_event_ids=state.seen_event_ids | {event.event_id}, awaiting_order=awaiting)
        case CustomerUpdated():
            return replace(
                state,
                seen_event_ids=state.seen_event_ids | {event.event_id},
                tags=event.tags,
                birth_month=event.birth_month,
                birth_day=event.birth_day,
            )
        case TierChanged():
            return replace(state, tier=event.to_tier)


def _recent(counts: Mapping[str, int], key: str, add: int) -> dict[str, int]:
    """`counts` with `key` increased; of the keys of its kind ("task|period"), the latest few are kept."""
    updated = dict(counts)
    updated[key] = updated.get(key, 0) + add
    kind = key.rpartition("|")[0]
    same = sorted(k for k in updated if k.rpartition("|")[0] == kind)
    for old in same[:-KEEP_PERIODS]:
        del updated[old]
    return updated


def _earned(state: Earnings, event: PointsEarned, program: Program) -> Earnings:
    changes: dict[str, object] = {
        "seen_event_ids": state.seen_event_ids | {event.source_event_id},
        "lifetime_earned": state.lifetime_earned + event.points,
    }
    if event.points:
        changes["daily_points"] = _recent(state.daily_points, local_day(event.occurred_at, program), event.points)
    if event.source_type == "OrderPaid" and event.order_id is not None:
        orders = dict(state.earned_orders)
        orders[event.order_id] = EarnedOrder(
            event.entry_id, event.points, event.order_total_minor or 0, event.rule_version, event.qualifying
        )
        last = state.last_order_at
        changes |= {
            "earned_orders": orders,
            "orders": state.orders + 1,
            "last_order_at": event.occurred_at if last is None else max(last, event.occurred_at),
        }
    return replace(state, **changes)  # type: ignore[arg-type]


def _clawed_back(state: Earnings, event: PointsClawedBack) -> Earnings:
    orders = dict(state.earned_orders)
    awaiting = dict(state.awaiting_order)
    still_waiting = tuple(r for r in awaiting.pop(event.order_id, ()) if r.event_id != event.source_event_id)
    if still_waiting:
        awaiting[event.order_id] = still_waiting
    if (order := orders.get(event.order_id)) is not None:
        orders[event.order_id] = replace(
            order,
            refunded_minor=event.refunded_minor,
            clawed_back=order.clawed_back + event.points,
            refund_ids=order.refund_ids | {event.refund_id},
        )
    return replace(
        state,
        seen_event_ids=state.seen_event_ids | {event.source_event_id},
        clawed_back=state.clawed_back + event.points,
        earned_orders=orders,
        awaiting_order=awaiting,
    )


def evolve_shop(shop: ShopHours, event: PointsEarned) -> ShopHours:
    """Counts issued points per hour (held credits are not issued); keeps the last day of hours.

    A count stops at `limits.BALANCE`: above any budget a program may set, so every decision is the
    same as with the exact count, which may grow without bound."""
    if event.held is not None or event.points == 0:
        return shop
    issued = dict(shop.issued)
    hour = hour_of(event.occurred_at)
    issued[hour] = min(issued.get(hour, 0) + event.points, limits.BALANCE)
    for old in sorted(issued)[:-24]:
        del issued[old]
    return ShopHours(issued)
