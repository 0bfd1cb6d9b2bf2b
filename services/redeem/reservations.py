"""Reward reservations as the decisions see them: the stock's answer, and what becomes of a reservation. Pure.

The stock lives in PostgreSQL (the adapter, `stock.py`); a reservation is its customer's: found by
(shop, customer, redemption id), and another customer's request for an id already reserved is
told the id is taken, never the first one's answer. A reservation is used only by an approval:

- a decision that is not an approval gives back what an earlier attempt of the same request was
  granted (a retry after an aborted transaction may decide otherwise: a reward deactivated or
  changed in between);
- what is left (a request dead-lettered after its reservation, an instance that died before its
  retry) is reconciled once no decision can still commit on the reservation: kept if the log has
  the approval, given back otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.redeem.account import Account
from services.redeem.catalog import Reward
from services.redeem.events import Event, RedemptionApproved, RedemptionRequested
from services.redeem.redemption import Approvable, approve, reject

Verdict = Literal["settle", "release", "elsewhere"]


@dataclass(frozen=True)
class Reservation:
    """The stock's answer to an approvable request."""

    granted: bool
    code_index: int | None = None
    """The grant's number among its reward's grants (0, 1, ...), for codes handed out from a pool."""
    taken: bool = False
    """The redemption id was reserved by another customer's request: nothing was reserved for this one."""


def decide_reserved(
    approvable: Approvable,
    account: Account,
    reward: Reward,
    request: RedemptionRequested,
    now: datetime,
    shop_secret: str | bytes,
    reservation: Reservation,
) -> list[Event]:
    """The outcome of an approvable request once the stock has answered."""
    if reservation.taken:
        return reject(request, "redemption_id_taken")
    if not reservation.granted:
        return reject(request, "out_of_stock")
    return approve(approvable, account, reward, request, now, shop_secret, reservation.code_index or 0)


def uses_reservation(events: Sequence[Event]) -> bool:
    """Only an approval keeps the stock reserved for its request; any other outcome gives it back."""
    return any(isinstance(e, RedemptionApproved) for e in events)


def verdict(account: Account | None, redemption_id: str) -> Verdict:
    """What becomes of a reservation granted long enough ago that no decision can still commit on it, no approval
    having confirmed it: `settle` (the log approved it), `release` (the log rejected, cancelled or never decided
    it), or `elsewhere` when the customer's account is not this partition's (None)."""
    if account is None:
        return "elsewhere"
    approved = account.redemptions.get(redemption_id)
    return "settle" if approved is not None and not approved.cancelled else "release"
