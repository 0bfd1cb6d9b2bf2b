"""The contract an input must keep (README: The contract): what breaks it goes to the dead-letter topic. Pure."""

from __future__ import annotations

from services.earn.commands import OrderPaid, OrderRefunded, TaskCompleted
from services.earn.currencies import minor_unit_exponent


class ContractViolation(ValueError):
    """The event breaks a rule of the contract (README: The contract); it goes to the dead-letter topic."""


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
