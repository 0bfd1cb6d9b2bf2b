"""Paid orders: the credit (a lot) an order earns by the shop's program. Pure.

Bounded (services/limits.py): a credit is at most `limits.POINTS` (an order whose rules would give more
is refused, never rounded down).
"""

from __future__ import annotations

from math import floor

from services import limits
from services.earn.commands import OrderPaid
from services.earn.credits import Earned, credit_entry
from services.earn.earnings import NO_HOURS, Earnings, ShopHours, evolve
from services.earn.events import Event
from services.earn.points import order_points
from services.earn.refunds import clawback
from services.earn.validation import ContractViolation, validate_order
from services.program import Program


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
    earned = credit_entry(
        order,
        Earned(
            points=computed.total,
            reason=f"order {order.order_id}",
            base_points=computed.base_points,
            order_id=order.order_id,
            order_total_minor=order.total_minor,
            multipliers=computed.multipliers,
            weighted_minor=floor(computed.weighted_minor),
            bonuses=computed.bonuses,
        ),
        state,
        program,
        shop,
        budget,
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
