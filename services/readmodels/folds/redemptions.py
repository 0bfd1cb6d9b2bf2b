"""Each redemption as a storefront follows it: requested, then approved or rejected, maybe reversed. Pure.

Folded from the requests on `loyalty.redemption-requests` and the redeem service's outcomes on
`loyalty.redemption-outcomes`. The two topics are read side by side, so an outcome may be folded
before its request: a request only fills what is not known yet and never changes the status. An
outcome never takes a redemption back to an earlier stage (`reversed` is final).

A redemption id is its first customer's: records of another customer's request reusing it (on
Kafka; the gateway answers 409) leave the redemption alone, and so does the redeem service's
`redemption_id_taken` refusal of such a request. Only an approval takes the row from a customer
whose request was not approved: at most one customer's request is ever approved under an id, its
stock reservation being its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

Key = tuple[str, str]
"""(shop_id, redemption_id)"""
Status = Literal["pending", "approved", "rejected", "reversed"]
STAGE: dict[str, int] = {"pending": 0, "approved": 1, "rejected": 1, "reversed": 2}
TAKEN = "redemption_id_taken"


@dataclass(frozen=True)
class Redemption:
    shop_id: str
    redemption_id: str
    customer_id: str
    reward_id: str
    quantity: int | None = None
    """None while only a rejection is known (it does not carry the quantity)."""
    cash_minor: int | None = None
    status: str = "pending"
    reason: str | None = None
    code: str | None = None
    prize: str | None = None
    shipping_id: str | None = None
    points: int = 0
    """Debited on approval."""
    points_restored: int = 0
    requested_at: datetime | None = None
    updated_at: datetime | None = None
    """Time of the last outcome."""
    position: str | None = None
    """`topic:partition:offset` of the last outcome."""

    @property
    def key(self) -> Key:
        return (self.shop_id, self.redemption_id)


@dataclass(frozen=True)
class Requested:
    shop_id: str
    customer_id: str
    redemption_id: str
    reward_id: str
    quantity: int
    cash_minor: int | None
    occurred_at: datetime
    partition: int = 0
    offset: int = 0
    shipping_address: Mapping[str, str | None] | None = None
    """Only on a request a shop put on Kafka itself: the gateway keeps addresses out of the log."""

    @property
    def key(self) -> Key:
        return (self.shop_id, self.redemption_id)


@dataclass(frozen=True)
class Decided:
    """A RedemptionApproved, RedemptionRejected or RedemptionReversed, at its log position."""

    status: Status
    shop_id: str
    customer_id: str
    redemption_id: str
    occurred_at: datetime
    position: str
    partition: int = 0
    offset: int = 0
    reward_id: str | None = None
    quantity: int | None = None
    points: int | None = None
    cash_minor: int | None = None
    code: str | None = None
    prize: str | None = None
    shipping_id: str | None = None
    reason: str | None = None
    points_restored: int = 0

    @property
    def key(self) -> Key:
        return (self.shop_id, self.redemption_id)


def requested(current: Redemption | None, request: Requested) -> Redemption:
    if current is None:
        return Redemption(request.shop_id, request.redemption_id, request.customer_id, request.reward_id,
                          request.quantity, request.cash_minor, requested_at=request.occurred_at)  # fmt: skip
    return replace(
        current,
        quantity=request.quantity if current.quantity is None else current.quantity,
        cash_minor=request.cash_minor if current.cash_minor is None else current.cash_minor,
        requested_at=current.requested_at or request.occurred_at,
    )


def foreign(current: Redemption | None, record: Requested | Decided) -> bool:
    """Whether the record is of another customer's request under this id (it changes nothing here)."""
    if isinstance(record, Decided) and record.status == "rejected" and record.reason == TAKEN:
        return True
    if current is None or current.customer_id == record.customer_id:
        return False
    approval = isinstance(record, Decided) and record.status in ("approved", "reversed")
    return not approval or current.status in ("approved", "reversed")


def decided(current: Redemption | None, outcome: Decided) -> Redemption:
    if current is not None and current.customer_id != outcome.customer_id:
        current = None  # an approval takes the id from a customer whose request was not approved
    base = current or Redemption(outcome.shop_id, outcome.redemption_id, outcome.customer_id, outcome.reward_id or "")
    if STAGE[outcome.status] < STAGE[base.status]:
        return base
    after = replace(base, status=outcome.status, updated_at=outcome.occurred_at, position=outcome.position)
    if outcome.status == "approved":
        return replace(
            after, reason=None, quantity=outcome.quantity, points=outcome.points or 0, cash_minor=outcome.cash_minor,
            code=outcome.code, prize=outcome.prize, shipping_id=outcome.shipping_id,
        )  # fmt: skip
    if outcome.status == "rejected":
        return replace(after, reason=outcome.reason)
    return replace(after, reason=outcome.reason, points_restored=outcome.points_restored)


def same_request(current: Redemption, customer_id: str, reward_id: str, quantity: int, cash_minor: int | None) -> bool:
    """Whether asking again with this redemption id repeats the request it names (else it is a conflict)."""
    return (current.customer_id, current.reward_id) == (customer_id, reward_id) and (
        current.quantity is None or (current.quantity, current.cash_minor) == (quantity, cash_minor)
    )


def project(current: Mapping[Key, Redemption], records: Iterable[Requested | Decided]) -> dict[Key, Redemption]:
    """Folds requests and outcomes in log order onto `current`; returns the redemptions they touched."""
    states, touched = dict(current), {}
    for record in records:
        before = states.get(record.key)
        if foreign(before, record):
            continue
        after = requested(before, record) if isinstance(record, Requested) else decided(before, record)
        states[record.key] = touched[record.key] = after
    return touched
