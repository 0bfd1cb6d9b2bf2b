"""Redeem: owns each customer's balance and decides every debit (README: Balances, rewards). Pure: no I/O.

Decider shape over one customer's `Account`: `decide(command, account, shop) -> events` and
`evolve(account, event) -> account`; `handle` does both and adds threshold triggers (`with_crossings`).
A redemption is decided in two steps around the stock reservation, which lives in PostgreSQL:

    decision = decide_redemption(request, account, reward, tier, request.occurred_at)
    Duplicate -> nothing;  Refused -> reject(request, decision.reason)
    Approvable -> reserve stock; decide_reserved(decision, account, reward, request, request.occurred_at,
                  shop.secret, reservation): approved, or rejected (`out_of_stock`, `redemption_id_taken`)
    then with_crossings(account, events, shop.thresholds, request.occurred_at); a grant that the outcome
    does not use (`uses_reservation`) is given back, and `verdict` reconciles grants left unconfirmed

Every command is idempotent by its event_id (earn's entries by their entry_id; expiry by state),
and every id written is derived from the input, so a replay writes the same entries.
Handled ids are kept for a retention window (retention.py). Known gap: crossings caused by time alone
(pending points becoming available) are announced at the customer's next change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.program import DEFAULT as PROGRAM
from services.redeem.account import Account, Balance, Expiring, Redemption, Totals, balance, evolve, next_expiry
from services.redeem.catalog import Discount, InvalidReward, Prize, Reward, reward_from
from services.redeem.credits import decide_clawback, decide_credit, decide_expiry
from services.redeem.events import (
    AccountCommandRejected,
    AccountStatusChanged,
    AdjustmentRequested,
    BalanceThresholdCrossed,
    ClawbackCollected,
    Command,
    ContractViolation,
    Event,
    ExpiryTick,
    FreezeChanged,
    OwedRepaid,
    PointsAdjusted,
    PointsClawedBack,
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    PointsRestored,
    PointsTransferred,
    RedemptionApproved,
    RedemptionCancelled,
    RedemptionRejected,
    RedemptionRequested,
    RedemptionReversed,
    TransferReceived,
    TransferRequested,
    entry_id,
)
from services.redeem.lots import Lot, LotShare
from services.redeem.operations import (
    TransferLimits,
    decide_adjustment,
    decide_freeze,
    decide_transfer,
    decide_transfer_received,
)
from services.redeem.pricing import coupon_code, draw, shipping_id
from services.redeem.redemption import (
    Approvable,
    Decision,
    Duplicate,
    Refused,
    approve,
    decide_cancellation,
    decide_redemption,
    reject,
)
from services.redeem.reservations import Reservation, decide_reserved, uses_reservation, verdict
from services.redeem.retention import RETENTION, Retention
from services.redeem.triggers import crossings, with_crossings

__all__ = [
    "Account", "AccountCommandRejected", "AccountStatusChanged", "AdjustmentRequested", "Approvable", "Balance",
    "BalanceThresholdCrossed", "ClawbackCollected", "Command", "ContractViolation", "Decision", "Discount",
    "Duplicate", "Event", "Expiring", "ExpiryTick", "FreezeChanged", "InvalidReward", "Lot", "LotShare", "OwedRepaid",
    "PointsAdjusted", "PointsClawedBack", "PointsEarned", "PointsExpired", "PointsRedeemed", "PointsRestored",
    "PointsTransferred", "Prize", "Redemption", "RedemptionApproved", "RedemptionCancelled", "RedemptionRejected",
    "RedemptionRequested", "RedemptionReversed", "Refused", "Reservation", "Retention", "Reward", "Shop", "Totals",
    "TransferLimits",
    "TransferReceived", "TransferRequested", "approve", "balance", "coupon_code", "crossings", "decide",
    "decide_adjustment", "decide_cancellation", "decide_clawback", "decide_credit", "decide_expiry", "decide_freeze",
    "decide_redemption", "decide_reserved", "decide_transfer", "decide_transfer_received", "draw", "entry_id",
    "evolve", "handle", "next_expiry", "reject", "reward_from", "shipping_id", "time_of",
    "uses_reservation", "verdict", "with_crossings",
]  # fmt: skip


@dataclass(frozen=True)
class Shop:
    """A shop's settings the redeem decisions need."""

    secret: str | bytes = b""
    """Its coupon-code and lottery keys (`services.shop_keys`) seed generated codes and draws; auditors
    recompute them with it."""
    thresholds: tuple[int, ...] = PROGRAM.balance_thresholds
    transfer_limits: TransferLimits = field(default_factory=TransferLimits)
    lot_lifetime: timedelta = PROGRAM.lot_lifetime
    """Of a lot an adjustment opens (the program's lot lifetime)."""
    retention: Retention = RETENTION
    """How long handled ids are remembered (REDEEM_DUPLICATES_DAYS)."""


def time_of(command: Command | RedemptionRequested) -> datetime:
    return command.now if isinstance(command, ExpiryTick) else command.occurred_at


def decide(command: Command, account: Account, shop: Shop) -> list[Event]:
    """Every command but a redemption request (see the module's docstring)."""
    match command:
        case PointsEarned():
            return decide_credit(command, account)
        case PointsClawedBack():
            return decide_clawback(command, account)
        case RedemptionCancelled():
            return decide_cancellation(command, account)
        case FreezeChanged():
            return decide_freeze(command, account)
        case AdjustmentRequested():
            return decide_adjustment(command, account, shop.lot_lifetime)
        case TransferRequested():
            return decide_transfer(command, account, shop.transfer_limits)
        case TransferReceived():
            return decide_transfer_received(command, account)
        case ExpiryTick():
            return list(decide_expiry(account, command.now))


def handle(command: Command, account: Account, shop: Shop) -> tuple[Account, list[Event]]:
    """Decides, folds and adds the threshold crossings: the account after and everything to write."""
    return with_crossings(account, decide(command, account, shop), shop.thresholds, time_of(command), shop.retention)
