"""The tier decider: a ledger entry or a due downgrade in, the customer's tier changes out. Pure.

    decide(command, state, context) -> events    the TierChanged events, then `Assessed`: the state after
    evolve(state, event, context) -> state
    handle(command, state, context)              both: the state after, and the events

Two commands, both at the partition's stream time (the latest event time seen on it, `stream_time`):

- `EntryLogged`: a qualifying ledger entry folds into its customer's window and is evaluated at its
  event time; then every downgrade that fell due by stream time is evaluated as of its due moment.
- `DowngradesDue`: the sweep of a customer whose downgrade fell due by stream time, for customers who
  never come back (the processor finds them in its schedule, in `sweep_order`).

An evaluation moves the window, the clock and the due dates without a tier change, so the last event
of a decision is `Assessed`, which carries the customer's state after it (kept, never written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from services.records import TierChanged
from services.tier.domain import CustomerTier, LedgerEntry, evaluate, evaluate_due, evaluation_after
from services.tier.domain import evolve as fold_entry
from services.tier.ladder import TierRules

initial_state = CustomerTier()
EPOCH, MS = datetime(1970, 1, 1, tzinfo=UTC), timedelta(milliseconds=1)


@dataclass(frozen=True)
class EntryLogged:
    entry: LedgerEntry
    stream_time: datetime


@dataclass(frozen=True)
class DowngradesDue:
    shop_id: str
    customer_id: str
    stream_time: datetime


Command = EntryLogged | DowngradesDue


@dataclass(frozen=True)
class Assessed:
    """The customer's window, clock and due dates after an evaluation."""

    state: CustomerTier


Event = TierChanged | Assessed


@dataclass(frozen=True)
class Context:
    rules: Callable[[datetime], TierRules]
    """The shop's tier rules in force at an event time."""


def decide(command: Command, state: CustomerTier, context: Context) -> list[Event]:
    match command:
        case EntryLogged(entry, stream_time):
            applied = fold_entry(state, entry)
            if applied is state:  # a duplicate, non-qualifying or zero entry
                return []
            evaluation = evaluation_after(entry, applied)
            after, changes = evaluate(evaluation, applied, context.rules(evaluation.now))
            after, due = evaluate_due(after, entry.shop_id, entry.customer_id, stream_time, context.rules)
            return [*changes, *due, Assessed(after)]
        case DowngradesDue(shop_id, customer_id, stream_time):
            after, due = evaluate_due(state, shop_id, customer_id, stream_time, context.rules)
            return [*due, Assessed(after)]


def evolve(state: CustomerTier, event: Event, context: Context | None = None) -> CustomerTier:
    match event:
        case TierChanged():
            return replace(state, tier=event.to_tier)
        case Assessed():
            return event.state


def handle(command: Command, state: CustomerTier, context: Context) -> tuple[CustomerTier, list[Event]]:
    """The state after the command, and the events (none: the command changed nothing)."""
    events = decide(command, state, context)
    for event in events:
        state = evolve(state, event, context)
    return state, events


def changes(events: Iterable[Event]) -> list[TierChanged]:
    """The events that are written."""
    return [e for e in events if isinstance(e, TierChanged)]


def stream_time_after(passed: datetime | None, clock: datetime) -> datetime:
    """Stream time never goes back."""
    return clock if passed is None else max(passed, clock)


def sweep_order(due: Iterable[tuple[tuple[str, str], CustomerTier]]) -> list[tuple[tuple[str, str], CustomerTier]]:
    """Customers due on the way, in the order their downgrades fell due (then by customer)."""
    return sorted(due, key=lambda item: (_ms(item[1].due), item[0]))


def _ms(at: datetime | None) -> int:
    return 0 if at is None else (at - EPOCH) // MS
