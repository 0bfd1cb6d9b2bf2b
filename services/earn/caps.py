"""Caps and the circuit breaker: what of the points a rule gives is credited, held or refused. Pure.

Bounded (services/limits.py): a customer earns at most `limits.BALANCE` in all (a credit beyond is refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services import limits
from services.earn.earnings import Earnings, ShopHours, hour_of, local_day
from services.earn.validation import ContractViolation
from services.program import Program


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
