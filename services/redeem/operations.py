"""Account operations: freeze, staff adjustments, transfers between members (README: Account operations). Pure.

- Freeze: a frozen account keeps receiving credits but cannot redeem or send transfers.
- Adjustment: a credit opens a lot available at once, expiring after the lot lifetime; a debit
  takes available lots nearest expiry first, refused (`insufficient_points`) if it would take the
  available balance below zero, unless `may_go_negative` (the rest is owed). Not qualifying.
- Transfer: refused, in this order, if `frozen`, `invalid_points` (below 1), `to_self`,
  `above_max_points`, `limit_reached` (transfers a day, in the limits' time zone) or
  `insufficient_points`. Approved, the sender's available lots go out nearest expiry first and a
  `TransferReceived` carries them to the recipient, who opens one lot per share with the same
  expiry, available at once. The credit is never refused, so both sides happen or neither.
- Bounds (services/limits.py): an adjustment that takes the customer's net adjustments beyond
  `BALANCE` either way, or a transfer that takes what they sent in all beyond it, is refused
  (`balance_limit`); a credit that would take what they received in all beyond it is dead-lettered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.limits import BALANCE
from services.program import DEFAULT as PROGRAM
from services.redeem.account import Account
from services.redeem.events import (
    AccountCommandRejected,
    AccountStatusChanged,
    AdjustmentRequested,
    ContractViolation,
    Event,
    FreezeChanged,
    PointsAdjusted,
    PointsTransferred,
    TransferReceived,
    TransferRequested,
    entry_id,
)
from services.redeem.lots import LotShare, spend


@dataclass(frozen=True)
class TransferLimits:
    """A shop's limits on transfers; None is unlimited."""

    max_points: int | None = PROGRAM.transfers.max_points
    max_per_day: int | None = PROGRAM.transfers.max_per_day
    timezone: str = PROGRAM.timezone
    """Where a day begins, for `max_per_day`."""


def decide_freeze(command: FreezeChanged, account: Account) -> list[Event]:
    if account.handled(command.event_id, command.occurred_at):
        return []
    if command.frozen == account.frozen:
        reason = "already_frozen" if command.frozen else "not_frozen"
        return [_refused(command, command.event_id, "freeze", reason)]
    changed = AccountStatusChanged(
        shop_id=command.shop_id,
        customer_id=command.customer_id,
        occurred_at=command.occurred_at,
        frozen=command.frozen,
        reason=command.reason,
        actor=command.actor,
        source_event_id=command.event_id,
    )
    return [changed]


def decide_adjustment(command: AdjustmentRequested, account: Account, lot_lifetime: timedelta) -> list[Event]:
    if account.handled(command.event_id, command.occurred_at):
        return []
    at, points, entry = (
        account.at(command.occurred_at),
        command.points,
        entry_id(command.shop_id, command.event_id, "adjusted"),
    )
    if points == 0:
        return [_refused(command, command.adjustment_id, "adjustment", "invalid_points")]
    if abs(account.totals.adjusted + points) > BALANCE:
        return [_refused(command, command.adjustment_id, "adjustment", "balance_limit")]
    available_at = expires_at = None
    uncovered = 0
    if points > 0:
        available_at, expires_at = at, at + lot_lifetime
        shares: tuple[LotShare, ...] = (LotShare(entry, points, expires_at),)
    else:
        if -points > account.available(at) and not command.may_go_negative:
            return [_refused(command, command.adjustment_id, "adjustment", "insufficient_points")]
        shares = spend(account.lots, -points, at)
        uncovered = -points - sum(s.points for s in shares)
    adjusted = PointsAdjusted(
        entry_id=entry,
        shop_id=command.shop_id,
        customer_id=command.customer_id,
        occurred_at=command.occurred_at,
        source_event_id=command.event_id,
        reason=command.reason,
        points=points,
        adjustment_id=command.adjustment_id,
        actor=command.actor,
        lots=shares,
        available_at=available_at,
        expires_at=expires_at,
        uncovered=uncovered,
    )
    return [adjusted]


def decide_transfer(command: TransferRequested, account: Account, limits: TransferLimits) -> list[Event]:
    if account.handled(command.event_id, command.occurred_at):
        return []
    at = account.at(command.occurred_at)
    reason = _refusal(command, account, limits, at)
    if reason is not None:
        return [_refused(command, command.transfer_id, "transfer", reason)]
    shares = spend(account.lots, command.points, at)
    sent = PointsTransferred(
        entry_id=entry_id(command.shop_id, command.event_id, "transferred_out"),
        shop_id=command.shop_id,
        customer_id=command.customer_id,
        occurred_at=command.occurred_at,
        source_event_id=command.event_id,
        reason=f"transfer {command.transfer_id} to {command.to_customer_id}",
        points=-command.points,
        transfer_id=command.transfer_id,
        counterparty_id=command.to_customer_id,
        lots=shares,
    )
    received = TransferReceived(
        event_id=entry_id(command.shop_id, command.event_id, "transfer_received"),
        shop_id=command.shop_id,
        customer_id=command.to_customer_id,
        occurred_at=command.occurred_at,
        transfer_id=command.transfer_id,
        from_customer_id=command.customer_id,
        points=command.points,
        lots=shares,
    )
    return [sent, received]


def decide_transfer_received(command: TransferReceived, account: Account) -> list[Event]:
    if account.handled(command.event_id, command.occurred_at):
        return []
    if command.points < 1 or command.points != sum(s.points for s in command.lots):
        raise ContractViolation(f"transfer {command.transfer_id}: points must be the sum of its positive shares")
    if any(s.points < 1 or s.expires_at is None for s in command.lots):
        raise ContractViolation(f"transfer {command.transfer_id}: every share has points and an expiry date")
    if account.totals.transferred_in + command.points > BALANCE:
        raise ContractViolation(
            f"transfer {command.transfer_id}: the customer would receive more than {BALANCE:,} in all"
        )
    opened = tuple(
        LotShare(
            entry_id(command.shop_id, f"{command.event_id}\x1f{s.lot_id}", "transferred_lot"), s.points, s.expires_at
        )
        for s in command.lots
    )
    received = PointsTransferred(
        entry_id=entry_id(command.shop_id, command.event_id, "transferred_in"),
        shop_id=command.shop_id,
        customer_id=command.customer_id,
        occurred_at=command.occurred_at,
        source_event_id=command.event_id,
        reason=f"transfer {command.transfer_id} from {command.from_customer_id}",
        points=command.points,
        transfer_id=command.transfer_id,
        counterparty_id=command.from_customer_id,
        lots=opened,
    )
    return [received]


def _refusal(command: TransferRequested, account: Account, limits: TransferLimits, at: datetime) -> str | None:
    if account.frozen:
        return "frozen"
    if command.points < 1:
        return "invalid_points"
    if command.to_customer_id == command.customer_id:
        return "to_self"
    if account.totals.transferred_out + command.points > BALANCE:
        return "balance_limit"
    if limits.max_points is not None and command.points > limits.max_points:
        return "above_max_points"
    if limits.max_per_day is not None:
        zone = ZoneInfo(limits.timezone)
        today = at.astimezone(zone).date()
        if sum(1 for sent in account.transfers if sent.astimezone(zone).date() == today) >= limits.max_per_day:
            return "limit_reached"
    if account.available(at) < command.points:
        return "insufficient_points"
    return None


def _refused(
    command: FreezeChanged | AdjustmentRequested | TransferRequested, command_id: str, kind: str, reason: str
) -> AccountCommandRejected:
    return AccountCommandRejected(
        command_id=command_id,
        kind=kind,
        shop_id=command.shop_id,
        customer_id=command.customer_id,
        occurred_at=command.occurred_at,
        reason=reason,
        source_event_id=command.event_id,
    )
