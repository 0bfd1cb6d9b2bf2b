"""Paid orders: the credit (a lot) an order earns by the shop's program. Pure.

Bounded (services/limits.py): a credit is at most `limits.POINTS` (an order whose rules would give more
is refused, never rounded down).
"""

from __future__ import annotations

from math import floor

from services import limits
from services.earn.caps import credit, lot_dates, within_lifetime
from services.earn.commands import OrderPaid
from services.earn.earnings import NO_HOURS, Earnings, ShopHours, evolve
from services.earn.events import Event, entry_id
from services.earn.points import order_points
from services.earn.refunds import clawback
from services.earn.validation import ContractViolation, validate_order
from services.program import Program
from services.records import PointsEarned


def decide_order(
    order: OrderPaid, state: Earnings, program: Program, shop: ShopHours = NO_HOURS, budget: int | None = None
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
        clawed = clawback(after.earned_orders[order.order_id], refund, order, program)
        after = evolve(after, clawed, program)
        events.append(clawed)
    return events
