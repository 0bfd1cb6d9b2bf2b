"""Builders and a fold for the earn domain's tests: commands in, ledger events and one customer's state out."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.earn import decider
from services.earn.commands import Command, CustomerUpdated, OrderPaid, OrderRefunded, TaskCompleted
from services.earn.earnings import Earnings, ShopHours
from services.earn.events import Event
from services.earn.points import Line
from services.earn.validation import ContractViolation
from services.program import Program
from services.records import PointsClawedBack, PointsEarned, TierChanged

SHOP = "shop-1"
CUSTOMER = "ada"
MONDAY = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
"""An ordinary day: not the 10th, so the default member day does not apply."""
MEMBER_DAY = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
DEFAULT = Program()
NO_HOURS = ShopHours()

_ids = itertools.count(1)


def _event_id(prefix: str, event_id: str | None) -> str:
    return event_id if event_id is not None else f"{prefix}-{next(_ids)}"


def order(
    total_minor: int,
    currency: str = "USD",
    *,
    order_id: str = "o-1",
    event_id: str | None = None,
    at: datetime = MONDAY,
    lines: Iterable[Line] = (),
    customer: str = CUSTOMER,
) -> OrderPaid:
    return OrderPaid(_event_id("paid", event_id), SHOP, customer, at, order_id, currency, total_minor, tuple(lines))


def refund(
    amount_minor: int,
    *,
    order_id: str = "o-1",
    refund_id: str = "r-1",
    event_id: str | None = None,
    at: datetime = MONDAY,
    customer: str = CUSTOMER,
) -> OrderRefunded:
    return OrderRefunded(_event_id("refund", event_id), SHOP, customer, at, order_id, refund_id, amount_minor)


def task(
    name: str, ref: str | None = None, *, event_id: str | None = None, at: datetime = MONDAY, customer: str = CUSTOMER
) -> TaskCompleted:
    return TaskCompleted(_event_id("task", event_id), SHOP, customer, at, name, ref)


def profile(
    tags: Iterable[str] = (),
    birth_month: int | None = None,
    birth_day: int | None = None,
    *,
    event_id: str | None = None,
    at: datetime = MONDAY,
) -> CustomerUpdated:
    return CustomerUpdated(_event_id("profile", event_id), at, frozenset(tags), birth_month, birth_day)


def tier(to_tier: str, at: datetime = MONDAY) -> TierChanged:
    return TierChanged(SHOP, CUSTOMER, at, "member", to_tier, "upgrade", 0)


def decide(
    command: Command, state: Earnings, program: Program, shop: ShopHours = NO_HOURS, budget: int | None = None
) -> list[Event]:
    """What the earn decider decides for one input, on one customer's earnings and the shop's hours."""
    return decider.decide(command, decider.State(state, shop), decider.Context(program, budget))


@dataclass
class Folded:
    state: Earnings = field(default_factory=Earnings)
    shop: ShopHours = field(default_factory=ShopHours)
    events: list[Event] = field(default_factory=list)
    """Everything decided, in order."""
    rejected: list[tuple[Command, str]] = field(default_factory=list)
    """Inputs that broke the contract (the dead-letter topic), with the reason."""

    @property
    def earned(self) -> list[PointsEarned]:
        return [e for e in self.events if isinstance(e, PointsEarned)]

    @property
    def clawbacks(self) -> list[PointsClawedBack]:
        return [e for e in self.events if isinstance(e, PointsClawedBack)]

    @property
    def last(self) -> Event:
        return self.events[-1]


def fold(
    commands: Iterable[Command],
    program: Program = DEFAULT,
    *,
    start: Folded | None = None,
    budget: int | None = None,
    strict: bool = True,
) -> Folded:
    """Decides each command against the state so far and evolves with the same program: the earn decider.

    With `strict`, a contract violation raises; otherwise it is recorded in `rejected` and changes nothing.
    """
    folded = start if start is not None else Folded()
    state, context = decider.State(folded.state, folded.shop), decider.Context(program, budget)
    events, rejected = list(folded.events), list(folded.rejected)
    for command in commands:
        try:
            state, decided = decider.handle(command, state, context)
        except ContractViolation as exc:
            if strict:
                raise
            rejected.append((command, str(exc)))
            continue
        events += decided
    return Folded(state.earnings, state.hours, events, rejected)


def earn(commands: Sequence[Command], program: Program = DEFAULT, budget: int | None = None) -> PointsEarned:
    """The credit of the last command, an order or a task, after the commands before it."""
    last = commands[-1]
    assert isinstance(last, OrderPaid | TaskCompleted)
    credits = [e for e in fold(commands, program, budget=budget).earned if e.source_event_id == last.event_id]
    assert len(credits) == 1, credits
    return credits[0]
