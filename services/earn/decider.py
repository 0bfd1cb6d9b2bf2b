"""The earn decider: one input and the state it needs in, the events it makes out. Pure.

    decide(command, state, context) -> events    what an order, a refund, a task, a profile or a tier decides
    evolve(state, event, context) -> state       the state after one event (the program keeps the days)
    handle(command, state, context)              both: the state after, and the events

The state is one customer's earnings and the shop's issued points per hour on the partition (the circuit
breaker's count, kept only while the program has a circuit breaker: `Context.counts_hours`). The
processor loads of the customer's state only what the input needs (`needs`): whether the event was
seen, the order it is about, the `(task, ref)` it would use up. What earn remembers is kept for windows
of event time (`retention`): an input dated before the duplicate window of the partition's clock is
refused, since whether it was applied can no longer be told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.earn.caps import hourly_budget
from services.earn.commands import Command, CustomerUpdated, OrderPaid, OrderRefunded, TaskCompleted
from services.earn.earnings import NO_HOURS, Earnings, ShopHours, evolve_shop
from services.earn.earnings import evolve as evolve_earnings
from services.earn.events import Event
from services.earn.orders import decide_order
from services.earn.refunds import decide_refund
from services.earn.retention import WINDOWS, Windows, beyond
from services.earn.tasks import decide_task, once_key
from services.earn.validation import ContractViolation
from services.program import Program
from services.records import PointsEarned, TierChanged


@dataclass(frozen=True)
class State:
    earnings: Earnings = field(default_factory=Earnings)
    hours: ShopHours = NO_HOURS


initial_state = State()


@dataclass(frozen=True)
class Context:
    """The shop's program in force at the input's event time, the partition's share of its hourly budget, and
    the partition's clock (the latest event time on it, this input's included) with the windows of what earn
    remembers (`retention`)."""

    program: Program
    budget: int | None = None
    clock: datetime | None = None
    windows: Windows = WINDOWS

    @property
    def counts_hours(self) -> bool:
        """Whether the shop's issued points per hour are kept: only while its program has a circuit breaker."""
        return self.budget is not None


def context(program: Program, partitions: int, clock: datetime | None = None, windows: Windows = WINDOWS) -> Context:
    return Context(program, hourly_budget(program, partitions), clock, windows)


@dataclass(frozen=True)
class Needs:
    """The parts of a customer's state an input is decided on."""

    event_id: str | None
    order_id: str | None = None
    once: str | None = None
    """The `(task, ref)` a task would use up."""


def needs(command: Command, context: Context) -> Needs:
    match command:
        case OrderPaid() | OrderRefunded():
            return Needs(command.event_id, command.order_id)
        case TaskCompleted():
            return Needs(command.event_id, once=once_key(command, context.program))
        case CustomerUpdated():
            return Needs(command.event_id)
        case TierChanged():
            return Needs(None)


def decide(command: Command, state: State, context: Context) -> list[Event]:
    """What one input decides; profiles and tiers are facts, applied once. An input dated before the duplicate
    window is refused: whether it repeats one applied can no longer be told."""
    program, hours, budget = context.program, state.hours, context.budget
    if not isinstance(command, TierChanged) and (why := beyond(command.occurred_at, context.clock, context.windows)):
        raise ContractViolation(why)
    match command:
        case OrderPaid():
            return decide_order(command, state.earnings, program, hours, budget)
        case OrderRefunded():
            return decide_refund(command, state.earnings, program)
        case TaskCompleted():
            return decide_task(command, state.earnings, program, hours, budget)
        case CustomerUpdated():
            return [] if command.event_id in state.earnings.seen_event_ids else [command]
        case TierChanged():
            return [command]


def evolve(state: State, event: Event, context: Context) -> State:
    """`context` is the one the event was decided with: its program's time zone keeps the days."""
    earnings = evolve_earnings(state.earnings, event, context.program)
    if context.counts_hours and isinstance(event, PointsEarned):
        return State(earnings, evolve_shop(state.hours, event))
    return State(earnings, state.hours)


def handle(command: Command, state: State, context: Context) -> tuple[State, list[Event]]:
    events = decide(command, state, context)
    for event in events:
        state = evolve(state, event, context)
    return state, events
