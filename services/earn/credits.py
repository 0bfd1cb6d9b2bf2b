"""The credit a paid order or a completed task earns: one lot, after the caps. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from services.earn.caps import credit, lot_dates, within_lifetime
from services.earn.commands import OrderPaid, TaskCompleted
from services.earn.earnings import Earnings, ShopHours
from services.earn.events import entry_id
from services.program import Program
from services.records import PointsEarned


@dataclass(frozen=True)
class Earned:
    """What a rule gives before the caps: `points`, plus the points it refused itself (a task over its limit)."""

    points: int
    reason: str
    refused: int = 0
    base_points: int = 0
    order_id: str | None = None
    order_total_minor: int | None = None
    multipliers: tuple[tuple[str, Fraction], ...] = ()
    weighted_minor: int | None = None
    bonuses: tuple[tuple[str, int], ...] = ()


def credit_entry(
    source: OrderPaid | TaskCompleted,
    earned: Earned,
    state: Earnings,
    program: Program,
    shop: ShopHours,
    budget: int | None,
) -> PointsEarned:
    """The ledger credit of `source`: the caps and the hourly budget applied, its lot dated by the program."""
    granted = within_lifetime(credit(earned.points, source.occurred_at, state, program, shop, budget), state)
    entry = entry_id(source.shop_id, source.event_id, "earned")
    available_at, expires_at = lot_dates(source.occurred_at, program, granted.held)
    return PointsEarned(
        entry_id=entry,
        shop_id=source.shop_id,
        customer_id=source.customer_id,
        occurred_at=source.occurred_at,
        points=granted.points,
        source_event_id=source.event_id,
        source_type=type(source).__name__,
        reason=earned.reason,
        lot_id=entry,
        available_at=available_at,
        expires_at=expires_at,
        rule_version=program.version,
        tier=state.tier,
        capped_points=granted.capped + earned.refused,
        held=granted.held,
        base_points=earned.base_points,
        order_id=earned.order_id,
        order_total_minor=earned.order_total_minor,
        multipliers=earned.multipliers,
        weighted_minor=earned.weighted_minor,
        bonuses=earned.bonuses,
    )
