"""Refunds: what a refund claws back of its order's credit, now or when a late order arrives. Pure.

Bounded (services/limits.py): an order takes at most `limits.REFUNDS_PER_ORDER` refunds, waiting or applied.
"""

from __future__ import annotations

from services import limits
from services.earn.commands import OrderPaid, OrderRefunded
from services.earn.earnings import EarnedOrder, Earnings
from services.earn.events import Event, RefundAwaitingOrder, entry_id
from services.earn.validation import ContractViolation, validate_refund
from services.program import Program
from services.records import PointsClawedBack


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
    return [clawback(order, waiting, refund, program)]


def clawback(
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
