"""Earning: paid orders and tasks become ledger credits (lots); refunds claw them back. Pure.

Decider shape: `decide_*(command, state, program, ...) -> list[event]` and `evolve(state, event)`.
The state is one customer's earning record, kept per customer key by the stream processor; the
circuit breaker's count is per shop (`ShopHours`), kept beside it.

Bounded (services/limits.py): a credit is at most `limits.POINTS` (an order whose rules would give
more is refused, never rounded down), a customer earns at most `limits.BALANCE` in all (a credit
beyond is refused), and an order takes at most `limits.REFUNDS_PER_ORDER` refunds, waiting or
applied. The processor keeps each `(task, ref)` paid, like each event applied and each order, as
its own small state record, and loads only the one an event needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fractions import Fraction
from math import floor

from services import limits
from services.earn.currencies import minor_unit_exponent
from services.earn.rules import Line, Profile, order_points
from services.ids import derived_id
from services.program import Program

KEEP_PERIODS = 8
"""Days (caps, per-day task limits) and years (per-year task limits) remembered per customer."""


class ContractViolation(ValueError):
    """The event breaks a rule of the contract (README: The contract); it goes to the dead-letter topic."""


# Commands and facts in


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


@dataclass(frozen=True)
class TierChanged:
    to_tier: str
    occurred_at: datetime


# Events out


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


# State


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


def entry_id(shop_id: str, event_id: str, kind: str) -> str:
    """Deterministic, so a replay or a retried transaction writes the same entry (128-bit hex)."""
    return derived_id(shop_id, event_id, kind)


def local_day(when: datetime, program: Program) -> str:
    return when.astimezone(program.zone).date().isoformat()


def hour_of(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H")


# Validation


def validate_order(order: OrderPaid) -> None:
    if order.total_minor < 0:
        raise ContractViolation(f"total_minor is negative ({order.total_minor})")
    if minor_unit_exponent(order.currency) is None:
        raise ContractViolation(f"currency {order.currency!r} is not an ISO 4217 code")
    for line in order.lines:
        if line.quantity <= 0 or line.unit_price_minor < 0:
            raise ContractViolation(f"line {line.sku!r} has a non-positive quantity or negative price")


def validate_refund(refund: OrderRefunded) -> None:
    if refund.amount_minor < 0:
        raise ContractViolation(f"amount_minor is negative ({refund.amount_minor})")
    if not refund.order_id or not refund.refund_id:
        raise ContractViolation("order_id and refund_id must not be empty")


def validate_task(task: TaskCompleted) -> None:
    if not task.task.strip():
        raise ContractViolation("task must not be empty")


# Caps and the circuit breaker


@dataclass(frozen=True)
class Credit:
    points: int
    capped: int
    held: str | None


def credit(
    points: int, when: datetime, state: Earnings, program: Program, shop: ShopHours, budget: int | None
) -> Credit:
    """Step 5 (the daily cap) and the shop's hourly budget for `points` earned at `when`."""
    capped = 0
    if program.daily_cap is not None:
        room = max(program.daily_cap - state.daily_points.get(local_day(when, program), 0), 0)
        capped = max(points - room, 0)
    credited = points - capped
    over_budget = budget is not None and credited > 0 and shop.issued.get(hour_of(when), 0) + credited > budget
    return Credit(credited, capped, "circuit_breaker" if over_budget else None)


def within_lifetime(granted: Credit, state: Earnings) -> Credit:
    """The credit, unless it takes what the customer earned in all beyond `limits.BALANCE`."""
    if state.lifetime_earned + granted.points > limits.BALANCE:
        raise ContractViolation(
            f"the customer has earned {state.lifetime_earned:,} points: {granted.points:,} more would pass "
            f"the {limits.BALANCE:,} a customer may earn in all"
        )
    return granted


def hourly_budget(program: Program, partitions: int) -> int | None:
    """The shop's hourly limit shared evenly by the partitions (each decides alone)."""
    limit = program.circuit_breaker.max_points_per_hour
    return None if limit is None else -(-limit // max(partitions, 1))


def lot_dates(when: datetime, program: Program, held: str | None) -> tuple[datetime, datetime]:
    pending_for = program.return_window
    if held is not None:
        pending_for = max(pending_for, program.circuit_breaker.hold)
    return when + pending_for, when + program.lot_lifetime


# Deciding


def decide_order(
    order: OrderPaid, state: Earnings, program: Program, shop: ShopHours = ShopHours(), budget: int | None = None
) -> list[Event]:
    validate_order(order)
    if order.event_id in state.seen_event_ids:
        return []
    if order.order_id in state.earned_orders:
        raise ContractViolation(f"order {order.order_id} was already paid under another event_id")
    profile = state.profile(order.customer_id)
    computed = order_points(order.total_minor, order.currency, order.lines, profile, order.occurred_at, program)
    if computed.total > limits.POINTS:
        raise ContractViolation(
            f"order {order.order_id} would earn more than the {limits.POINTS:,} points one entry may carry "
            f"(about 2^{computed.total.bit_length() - 1}): refused rather than rounded down"
        )
    granted = within_lifetime(credit(computed.total, order.occurred_at, state, program, shop, budget), state)
    entry = entry_id(order.shop_id, order.event_id, "earned")
    available_at, expires_at = lot_dates(order.occurred_at, program, granted.held)
    earned = PointsEarned(
        entry_id=entry,
        shop_id=order.shop_id,
        customer_id=order.customer_id,
        occurred_at=order.occurred_at,
        points=granted.points,
        source_event_id=order.event_id,
        source_type="OrderPaid",
        order_id=order.order_id,
        reason=f"order {order.order_id}",
        lot_id=entry,
        available_at=available_at,
        expires_at=expires_at,
        rule_version=program.version,
        tier=state.tier,
        multipliers=computed.multipliers,
        weighted_minor=floor(computed.weighted_minor),
        base_points=computed.base_points,
        bonuses=computed.bonuses,
        capped_points=granted.capped,
        order_total_minor=order.total_minor,
        held=granted.held,
    )
    events: list[Event] = [earned]
    if not (waiting := state.awaiting_order.get(order.order_id, ())):
        return events
    after = evolve(state, earned, program)
    for refund in waiting:  # refunds that came before their order
        clawback = _clawback(after.earned_orders[order.order_id], refund, order, program)
        after = evolve(after, clawback, program)
        events.append(clawback)
    return events


def owed(points: int, total_minor: int, refunded_minor: int) -> int:
    """What an order has lost after refunds totalling `refunded_minor`: floor(P x min(R, T) / T)."""
    if total_minor == 0:
        return points if refunded_minor >= 0 else 0
    return points * min(refunded_minor, total_minor) // total_minor


def decide_refund(refund: OrderRefunded, state: Earnings, program: Program) -> list[Event]:
    validate_refund(refund)
    if refund.event_id in state.seen_event_ids:
        return []
    order = state.earned_orders.get(refund.order_id)
    if order is None:
        awaiting = state.awaiting_order.get(refund.order_id, ())
        if any(r.refund_id == refund.refund_id for r in awaiting):
            raise ContractViolation(
                f"refund {refund.refund_id} is already waiting for its order under another event_id"
            )
        if len(awaiting) >= limits.REFUNDS_PER_ORDER:
            raise ContractViolation(
                f"{limits.REFUNDS_PER_ORDER} refunds are already waiting for order {refund.order_id}, the most one may"
            )
        return [
            RefundAwaitingOrder(
                refund.event_id, refund.order_id, refund.refund_id, refund.amount_minor, refund.occurred_at
            )
        ]
    if refund.refund_id in order.refund_ids:
        raise ContractViolation(f"refund {refund.refund_id} was already applied under another event_id")
    if len(order.refund_ids) >= limits.REFUNDS_PER_ORDER:
        raise ContractViolation(f"order {refund.order_id} has had {limits.REFUNDS_PER_ORDER} refunds, the most one may")
    waiting = RefundAwaitingOrder(
        refund.event_id, refund.order_id, refund.refund_id, refund.amount_minor, refund.occurred_at
    )
    return [_clawback(order, waiting, refund, program)]


def _clawback(
    order: EarnedOrder, refund: RefundAwaitingOrder, source: OrderPaid | OrderRefunded, program: Program
) -> PointsClawedBack:
    """The clawback of one refund, applied now (at `source`, the refund itself or its late order)."""
    refunded = order.refunded_minor + refund.amount_minor
    return PointsClawedBack(
        entry_id=entry_id(source.shop_id, refund.event_id, "clawed_back"),
        shop_id=source.shop_id,
        customer_id=source.customer_id,
        occurred_at=max(source.occurred_at, refund.occurred_at),
        points=owed(order.points, order.total_minor, refunded) - order.clawed_back,
        source_event_id=refund.event_id,
        order_id=refund.order_id,
        refund_id=refund.refund_id,
        reason=f"refund {refund.refund_id} of order {refund.order_id}",
        lot_id=order.entry_id,
        earned_entry_id=order.entry_id,
        refunded_minor=refunded,
        rule_version=order.rule_version,
        qualifying=order.qualifying,
        may_go_negative=program.clawback_may_go_negative,
    )


def task_counted(task: TaskCompleted, program: Program) -> tuple[TaskCounted, int | None, str]:
    """What paying a task of the program uses up: its period counter (with the period's limit) and the
    `(task, ref)` that pays once, within its period for a task with a period limit (a birthday each year)."""
    rule = program.tasks[task.task]
    local = task.occurred_at.astimezone(program.zone)
    counter, most, period = None, None, ""
    if rule.per_day is not None:
        counter, most, period = f"{task.task}|{local.date().isoformat()}", rule.per_day, "a day"
    elif rule.per_year is not None:
        counter, most, period = f"{task.task}|{local.year}", rule.per_year, "a year"
    prefix = "" if counter is None else counter.rpartition("|")[2] + "|"
    once = f"{task.task}|{prefix}{task.ref or ''}" if task.ref is not None or counter is None else None
    return TaskCounted(counter, once), most, f"at most {most} times {period}"


def once_key(task: TaskCompleted, program: Program) -> str | None:
    """The `(task, ref)` a task of the program would use up, if it pays once: the state it needs loaded."""
    return task_counted(task, program)[0].once if task.task in program.tasks else None


def task_limit(task: TaskCompleted, state: Earnings, program: Program) -> tuple[TaskCounted, str | None]:
    """What paying this task uses up, and why it is not paid (None when it is)."""
    used, most, limit = task_counted(task, program)
    once = used.once
    if used.counter is not None and most is not None and state.task_counts.get(used.counter, 0) >= most:
        return used, f"{task.task} pays {limit}"
    if once is not None and once in state.task_refs:
        return used, f"{task.task}{f' {task.ref}' if task.ref else ''} was already paid"
    return used, None


def decide_task(
    task: TaskCompleted, state: Earnings, program: Program, shop: ShopHours = ShopHours(), budget: int | None = None
) -> list[Event]:
    validate_task(task)
    if task.event_id in state.seen_event_ids:
        return []
    about = f" ({task.ref})" if task.ref else ""
    used: TaskCounted | None = None
    if task.task not in program.tasks:
        points, refused, reason = 0, 0, f"task {task.task}{about}: not in the program, no points"
    else:
        used, why_not = task_limit(task, state, program)
        rule_points = program.tasks[task.task].points
        points, refused = (0, rule_points) if why_not else (rule_points, 0)
        reason = f"task {task.task}{about}" + (f": {why_not}" if why_not else "")
        used = None if why_not else used
    granted = within_lifetime(credit(points, task.occurred_at, state, program, shop, budget), state)
    entry = entry_id(task.shop_id, task.event_id, "earned")
    available_at, expires_at = lot_dates(task.occurred_at, program, granted.held)
    earned = PointsEarned(
        entry_id=entry,
        shop_id=task.shop_id,
        customer_id=task.customer_id,
        occurred_at=task.occurred_at,
        points=granted.points,
        source_event_id=task.event_id,
        source_type="TaskCompleted",
        order_id=None,
        reason=reason,
        lot_id=entry,
        available_at=available_at,
        expires_at=expires_at,
        rule_version=program.version,
        tier=state.tier,
        base_points=points,
        capped_points=granted.capped + refused,
        held=granted.held,
    )
    return [earned] if used is None else [earned, used]


# Evolving


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
