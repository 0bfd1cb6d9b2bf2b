"""Tiers: qualifying ledger entries fold into a customer's tier (README: Tiers). Pure: no I/O, no framework.

Decider shape: `evolve(state, entry)` folds a ledger entry in; `evaluate(command, state, rules)`
decides the tier at the command's event time and returns the state after it with the `TierChanged`
events it made. `state.due` is when the customer must next be evaluated even if no entry arrives.

- Qualifying points: earned points with `qualifying` true whose window has not moved past them,
  less qualifying clawbacks; never below zero. A clawback that names its credit (`earned_entry_id`)
  takes points from that credit, so they leave the window together; a clawback of a credit already
  outside the window takes nothing; one that names no credit counts against the window at its own
  event time.
- Upgrades are immediate. A downgrade happens only when the points fall below the tier's threshold
  because the window moved past them (reason `window`) or because of a clawback (`clawback`, so a
  refunded order cannot keep the tier it bought), and only after `grace_days` since that moment.
  It goes to the tier the points give then, in one change. `evaluate_due` evaluates at each due moment.
- A tier the program no longer names is replaced by the tier the points give (reason `program`).
- A customer's clock never goes back: an entry older than the last evaluation is evaluated at it.
- Entries are kept while they qualify; their ids are the duplicates recognised. Bounded: beyond
  `ENTRIES` in the window (a customer reviewing thousands of products), the oldest UTC day holding
  several becomes one entry of their sum at the latest of their times, until `ENTRIES` remain or each
  day holds one. Qualifying points stay exact; a merged credit leaves the window with its day's last
  (never sooner: at most a day later), and a clawback of a merged credit takes nothing from it.

Known gaps: a program version that lengthens the window does not bring back pruned entries;
a late entry does not rewrite tier changes already made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Literal

from services.records import TierChanged
from services.tier.ladder import Tier, TierRules

Cause = Literal["window", "clawback"]
ENTRIES = 1_000
"""Entries a customer's state keeps separately in the window; beyond, days are merged (see above)."""


class ContractViolation(ValueError):
    """The entry breaks a rule of the contract (README: The contract); it goes to the dead-letter topic."""


@dataclass(frozen=True)
class LedgerEntry:
    """What tiers need of a `PointsEarned` (kind "earned") or `PointsClawedBack` (kind "clawed_back")."""

    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    kind: Literal["earned", "clawed_back"]
    points: int
    qualifying: bool = True
    earned_entry_id: str | None = None


@dataclass(frozen=True)
class Evaluate:
    """Decide the customer's tier at event time `now`; `cause` is why points may have just dropped."""

    shop_id: str
    customer_id: str
    now: datetime
    cause: Cause = "window"


@dataclass(frozen=True)
class Entry:
    """Signed qualifying points still in the window; a clawback of a kept credit is kept as 0 points."""

    entry_id: str
    occurred_at: datetime
    points: int


@dataclass(frozen=True)
class CustomerTier:
    tier: str = ""
    """Tier name; "" is the program's base tier."""
    entries: tuple[Entry, ...] = ()
    clock: datetime | None = None
    """Event time of the last evaluation."""
    falls_at: datetime | None = None
    """When the points fall (or fell) below the tier's threshold, if nothing else happens."""
    fall_reason: Cause = "window"
    due: datetime | None = None
    """When the next downgrade takes effect: `falls_at` plus the grace period."""

    def at(self, when: datetime) -> datetime:
        """When an evaluation asked for at `when` happens: never before the last one."""
        return when if self.clock is None else max(when, self.clock)


def evolve(state: CustomerTier, entry: LedgerEntry) -> CustomerTier:
    """Folds in a ledger entry; a duplicate, non-qualifying or zero entry leaves the state as it is."""
    if entry.points < 0:
        raise ContractViolation(f"points is negative ({entry.points})")
    if not entry.qualifying or entry.points == 0 or any(e.entry_id == entry.entry_id for e in state.entries):
        return state
    if entry.kind == "earned":
        return replace(state, entries=bounded((*state.entries, Entry(entry.entry_id, entry.occurred_at, entry.points))))
    if entry.earned_entry_id is None:
        return replace(
            state, entries=bounded((*state.entries, Entry(entry.entry_id, entry.occurred_at, -entry.points)))
        )
    credit = next((e for e in state.entries if e.entry_id == entry.earned_entry_id), None)
    if credit is None:
        return state  # the credit is outside the window: it no longer counts, so nothing to take back
    taken = replace(credit, points=max(0, credit.points - entry.points))
    kept = tuple(taken if e is credit else e for e in state.entries)
    return replace(state, entries=bounded((*kept, Entry(entry.entry_id, credit.occurred_at, 0))))


def bounded(entries: tuple[Entry, ...], most: int | None = None) -> tuple[Entry, ...]:
    """At most `most` (`ENTRIES`), merging the oldest UTC days that hold several (the module's docstring)."""
    most = ENTRIES if most is None else most
    if len(entries) <= most:
        return entries
    days: defaultdict[date, list[Entry]] = defaultdict(list)
    for e in entries:
        days[e.occurred_at.astimezone(UTC).date()].append(e)
    count = len(entries)
    for day in sorted(d for d, held in days.items() if len(held) > 1):
        if count <= most:
            break
        held = days[day]
        days[day] = [Entry(f"day:{day.isoformat()}", max(e.occurred_at for e in held), sum(e.points for e in held))]
        count -= len(held) - 1
    return tuple(sorted((e for held in days.values() for e in held), key=lambda e: (e.occurred_at, e.entry_id)))


def evaluation_after(entry: LedgerEntry, state: CustomerTier) -> Evaluate:
    """The evaluation a folded-in entry calls for: at its event time, or the last evaluation's if later."""
    cause: Cause = "clawback" if entry.kind == "clawed_back" else "window"
    return Evaluate(entry.shop_id, entry.customer_id, state.at(entry.occurred_at), cause)


def qualifying_points(entries: Iterable[Entry], now: datetime, rules: TierRules) -> int:
    return max(0, sum(e.points for e in entries if e.occurred_at <= now < rules.exits_at(e.occurred_at)))


def evaluate(command: Evaluate, state: CustomerTier, rules: TierRules) -> tuple[CustomerTier, list[TierChanged]]:
    """The tier at the command's time, or at the last evaluation's if that is later."""
    now = state.at(command.now)
    exits = [(moment, e) for e in state.entries if (moment := rules.exits_at(e.occurred_at)) > now]
    points = max(0, sum(e.points for _, e in exits if e.occurred_at <= now))
    current, target = _current(state, rules), rules.tier_for(points)
    state = replace(state, entries=tuple(e for _, e in exits), clock=now)
    if current is None:
        reason = "program"  # the program no longer has the customer's tier
    elif rules.rank(target) > rules.rank(current):
        reason = "upgrade"
    elif points >= current.threshold:
        return _settled(state, current, now, rules, exits), []
    else:
        falls_at, reason = _fall(state, now, command.cause)
        if now < falls_at + rules.grace:
            return replace(state, falls_at=falls_at, fall_reason=reason, due=falls_at + rules.grace), []
    previous = state.tier or rules.base.name
    change = TierChanged(command.shop_id, command.customer_id, now, previous, target.name, reason, points)
    return _settled(replace(state, tier=target.name), target, now, rules, exits), [change]


def evaluate_due(
    state: CustomerTier, shop_id: str, customer_id: str, until: datetime, rules: Callable[[datetime], TierRules]
) -> tuple[CustomerTier, list[TierChanged]]:
    """Evaluates at each moment a downgrade falls due, up to `until` (the sweep driven by stream time)."""
    changes: list[TierChanged] = []
    while state.due is not None and state.due <= until:
        command = Evaluate(shop_id, customer_id, state.due)
        state, made = evaluate(command, state, rules(command.now))
        changes += made
    return state, changes


def _current(state: CustomerTier, rules: TierRules) -> Tier | None:
    return rules.base if state.tier in ("", rules.base.name) else rules.find(state.tier)


def _settled(
    state: CustomerTier, tier: Tier, now: datetime, rules: TierRules, exits: list[tuple[datetime, Entry]]
) -> CustomerTier:
    """At or above `tier`'s threshold: predict when the window will have moved past enough points.
    `exits`: the state's entries with the moment each leaves the window."""
    falls_at = _next_fall(exits, now, tier.threshold) if tier.threshold > 0 else None
    return replace(
        state, falls_at=falls_at, fall_reason="window", due=None if falls_at is None else falls_at + rules.grace
    )


def _next_fall(entries: list[tuple[datetime, Entry]], now: datetime, threshold: int) -> datetime | None:
    """The first moment after `now` when entries leaving the window take the points below `threshold`."""
    exits = sorted((moment, e.points) for moment, e in entries)
    remaining = sum(points for _, points in exits)
    for i, (moment, points) in enumerate(exits):
        remaining -= points
        last_at_moment = i + 1 == len(exits) or exits[i + 1][0] != moment
        if last_at_moment and moment > now and remaining < threshold:
            return moment
    return None


def _fall(state: CustomerTier, now: datetime, cause: Cause) -> tuple[datetime, Cause]:
    """When the customer fell below the tier, and why: an earlier fall stands until the grace ends."""
    if state.falls_at is not None and state.falls_at <= now:
        return state.falls_at, state.fall_reason
    return now, cause
