"""Account outcomes of the redeem service: freezes and refused account commands. Pure.

`AccountStatusChanged` sets whether a customer's account is frozen (the last one in log order
wins); `AccountCommandRejected` records an adjustment, transfer, freeze or cancellation that was
refused, and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.readmodels.folds.records import CustomerKey


@dataclass(frozen=True)
class StatusChanged:
    shop_id: str
    customer_id: str
    occurred_at: datetime
    frozen: bool
    reason: str
    actor: str
    partition: int = 0
    offset: int = 0

    @property
    def customer(self) -> CustomerKey:
        return (self.shop_id, self.customer_id)


@dataclass(frozen=True)
class CommandRejected:
    shop_id: str
    customer_id: str
    command_id: str
    """adjustment_id, transfer_id, the freeze's event_id, or the redemption_id of a cancellation."""
    kind: str
    """adjustment, transfer, freeze or cancellation."""
    reason: str
    occurred_at: datetime
    partition: int = 0
    offset: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.shop_id, self.kind, self.command_id)


def frozen(changes: Iterable[StatusChanged]) -> dict[CustomerKey, StatusChanged]:
    """The last status change of each customer."""
    return {change.customer: change for change in changes}


def rejections(records: Iterable[CommandRejected]) -> list[CommandRejected]:
    """One per (shop, kind, command id), the last in log order."""
    return list({r.key: r for r in records}.values())
