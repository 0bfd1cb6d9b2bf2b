"""One customer's balance, owned by the redeem service, and the fold of its events. Pure.

`evolve(account, event)` applies one event; decisions never change state any other way. The
account keeps a clock, the latest event time applied: decisions happen at `account.at(t)`, never
before it, so a late event cannot restore into a lot that has already expired. Lots emptied and
past their date are dropped (nothing can come back into them).

Balance identity, kept by every event:
`lifetime_earned + adjusted + transferred_in - transferred_out - redeemed - expired - clawed_back
 == Σ lot remaining - owed`.

Bounded (services/redeem/retention.py): handled ids are remembered for a window of event time, the
refused ones at most a few hundred; a command dated before the window is refused. What grows with
a customer's activity is what the balance needs: lots alive, redemptions that can still be cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.records import PointsEarned
from services.redeem.events import (
    AccountCommandRejected,
    AccountStatusChanged,
    BalanceThresholdCrossed,
    ClawbackCollected,
    ContractViolation,
    Event,
    OwedRepaid,
    PointsAdjusted,
    PointsExpired,
    PointsRedeemed,
    PointsRestored,
    PointsTransferred,
    RedemptionApproved,
    RedemptionRejected,
    RedemptionReversed,
    TransferReceived,
)
from services.redeem.lots import Lot, LotShare, debit, open_lot, put_back, upcoming
from services.redeem.lots import available as available_points
from services.redeem.lots import pending as pending_points
from services.redeem.retention import RETENTION, Retention, pruned

Handled = (
    PointsRedeemed | RedemptionApproved | PointsRestored | RedemptionReversed | PointsAdjusted | PointsTransferred
    | AccountStatusChanged
)  # fmt: skip


@dataclass(frozen=True)
class Totals:
    lifetime_earned: int = 0
    redeemed: int = 0
    """Net of points restored by cancellations."""
    expired: int = 0
    clawed_back: int = 0
    """Collected from lots plus what went below zero."""
    uncollected: int = 0
    adjusted: int = 0
    transferred_in: int = 0
    transferred_out: int = 0

    @property
    def held(self) -> int:
        """What the events say the customer holds: Σ lot remaining - owed."""
        credits = self.lifetime_earned + self.adjusted + self.transferred_in
        return credits - self.transferred_out - self.redeemed - self.expired - self.clawed_back


@dataclass(frozen=True)
class Redemption:
    """An approved redemption, kept so it can be cancelled."""

    reward_id: str
    points: int
    quantity: int
    lots: tuple[LotShare, ...]
    cancelled: bool = False
    approved_at: datetime | None = None


@dataclass(frozen=True)
class Account:
    """One customer's balance, kept per customer key; start a new one as `Account(shop_id, customer_id)`."""

    shop_id: str = ""
    customer_id: str = ""
    lots: Mapping[str, Lot] = field(default_factory=dict)
    owed: int = 0
    frozen: bool = False
    totals: Totals = Totals()
    redemptions: Mapping[str, Redemption] = field(default_factory=dict)
    rejected_redemptions: Mapping[str, datetime] = field(default_factory=dict)
    """Redemption ids rejected -> when."""
    approved_units: Mapping[str, int] = field(default_factory=dict)
    """reward_id -> units approved and not cancelled (per-customer limits)."""
    seen: Mapping[str, datetime] = field(default_factory=dict)
    """Event ids of commands applied -> their event time."""
    refused: Mapping[str, datetime] = field(default_factory=dict)
    """Event ids of commands refused or rejected -> their event time."""
    entries: Mapping[str, datetime] = field(default_factory=dict)
    """Entry ids of earn's credits and clawbacks applied -> their event time."""
    transfers: tuple[datetime, ...] = ()
    """When recent transfers were sent."""
    sides: Mapping[int, bool] = field(default_factory=dict)
    """threshold -> whether available was at or above it when last recorded."""
    clock: datetime | None = None
    forgotten_before: datetime | None = None
    """Ids of events before this time are forgotten (retention.py)."""

    def at(self, when: datetime) -> datetime:
        return when if self.clock is None else max(when, self.clock)

    def handled(self, event_id: str, when: datetime) -> bool:
        """Whether the command `event_id` was handled; one dated before the horizon is refused as too old to tell."""
        if event_id in self.seen or event_id in self.refused:
            return True
        if self.forgotten_before is not None and when < self.forgotten_before:
            raise ContractViolation(
                f"dated {when:%Y-%m-%d %H:%M}, before {self.forgotten_before:%Y-%m-%d %H:%M}: the ids of commands "
                "that old are forgotten, so whether this one repeats one cannot be told"
            )
        return False

    def available(self, when: datetime) -> int:
        return available_points(self.lots, self.owed, self.at(when))

    def pending(self, when: datetime) -> int:
        return pending_points(self.lots, self.at(when))


@dataclass(frozen=True)
class Expiring:
    points: int
    expires_at: datetime


@dataclass(frozen=True)
class Balance:
    available: int
    pending: int
    lifetime_earned: int
    redeemed: int
    expired: int
    frozen: bool
    owed: int
    expiring: tuple[Expiring, ...]


def balance(account: Account, now: datetime) -> Balance:
    at, totals = account.at(now), account.totals
    expiring = tuple(Expiring(lot.remaining, lot.expires_at) for lot in upcoming(account.lots, at))
    return Balance(
        account.available(at), account.pending(at), totals.lifetime_earned, totals.redeemed, totals.expired,
        account.frozen, account.owed, expiring,
    )  # fmt: skip


def next_expiry(account: Account) -> datetime | None:
    """When a lot holding points next expires: when `decide_expiry` has something to do."""
    return min((lot.expires_at for lot in account.lots.values() if lot.remaining > 0), default=None)


def evolve(account: Account, event: Event, retention: Retention = RETENTION) -> Account:
    if isinstance(event, TransferReceived):
        return account  # the sender's output, for the recipient: changes nothing here
    after = _apply(account, event)
    when = event.occurred_at
    clock = when if after.clock is None else max(after.clock, when)
    kept = {k: lot for k, lot in after.lots.items() if lot.remaining > 0 or lot.alive(clock)}
    after = replace(
        after,
        shop_id=after.shop_id or event.shop_id,
        customer_id=after.customer_id or event.customer_id,
        lots=kept,
        clock=clock,
    )
    return pruned(after, retention, touched=getattr(event, "redemption_id", None))


MOVEMENTS = (
    PointsEarned,
    ClawbackCollected,
    OwedRepaid,
    PointsExpired,
    PointsAdjusted,
    PointsTransferred,
    BalanceThresholdCrossed,
)
"""Events that move points in or out of the lots; the others record what was decided about
redemptions and the account."""


def _apply(a: Account, event: Event) -> Account:
    return _moved(a, event) if isinstance(event, MOVEMENTS) else _decided(a, event)


def _moved(a: Account, event: Event) -> Account:
    """Credits, debits, expiry, adjustments, transfers and the threshold sides they move."""
    t = a.totals
    match event:
        case PointsEarned():  # opened whole: an OwedRepaid that follows repays what is owed
            a = _credit(a, event.lot_id, event.points, event.available_at, event.expires_at, repay=False)
            return replace(
                a,
                entries={**a.entries, event.entry_id: event.occurred_at},
                totals=replace(t, lifetime_earned=t.lifetime_earned + event.points),
            )
        case ClawbackCollected():
            totals = replace(
                t,
                clawed_back=t.clawed_back + event.points + event.owed,
                uncollected=t.uncollected + event.uncollected,
            )
            return replace(
                a,
                lots=debit(a.lots, event.lots),
                owed=a.owed + event.owed,
                entries={**a.entries, event.claim_entry_id: event.occurred_at},
                totals=totals,
            )
        case OwedRepaid():
            return replace(a, lots=debit(a.lots, event.lots), owed=a.owed - event.points)
        case PointsExpired():
            return replace(
                a,
                lots=debit(a.lots, [LotShare(event.lot_id, event.points)]),
                totals=replace(t, expired=t.expired + event.points),
            )
        case PointsAdjusted():
            return _adjusted(_seen(a, event), event)
        case PointsTransferred():
            return _transferred(_seen(a, event), event)
        case BalanceThresholdCrossed():
            return replace(a, sides={**a.sides, event.threshold: event.direction == "up"})
    raise TypeError(f"not an event of the redeem service: {event!r}")  # pragma: no cover


def _decided(a: Account, event: Event) -> Account:
    """Redemptions and account decisions: what they record beside the points."""
    t = a.totals
    match event:
        case PointsRedeemed():
            record = Redemption(event.reward_id, event.points, 0, event.lots, approved_at=event.occurred_at)
            return replace(
                _seen(a, event),
                lots=debit(a.lots, event.lots),
                redemptions={**a.redemptions, event.redemption_id: record},
                totals=replace(t, redeemed=t.redeemed + event.points),
            )
        case RedemptionApproved():
            record = a.redemptions.get(event.redemption_id, Redemption(event.reward_id, 0, 0, ()))
            units = {**a.approved_units, event.reward_id: a.approved_units.get(event.reward_id, 0) + event.quantity}
            record = replace(record, points=event.points, quantity=event.quantity, approved_at=event.occurred_at)
            return replace(
                _seen(a, event),
                redemptions={**a.redemptions, event.redemption_id: record},
                approved_units=units,
            )
        case RedemptionRejected():
            rejected = {**a.rejected_redemptions, event.redemption_id: event.occurred_at}
            return replace(_refused(a, event), rejected_redemptions=rejected)
        case PointsRestored():
            return replace(
                _seen(a, event),
                lots=put_back(a.lots, event.lots),
                totals=replace(t, redeemed=t.redeemed - event.points),
            )
        case RedemptionReversed():
            record = a.redemptions[event.redemption_id]
            units = {**a.approved_units, record.reward_id: a.approved_units.get(record.reward_id, 0) - record.quantity}
            cancelled = {**a.redemptions, event.redemption_id: replace(record, cancelled=True)}
            return replace(_seen(a, event), redemptions=cancelled, approved_units=units)
        case AccountStatusChanged():
            return replace(_seen(a, event), frozen=event.frozen)
        case AccountCommandRejected():
            return _refused(a, event)
    raise TypeError(f"not an event of the redeem service: {event!r}")  # pragma: no cover


def _seen(account: Account, event: Handled) -> Account:
    return replace(account, seen={**account.seen, event.source_event_id: event.occurred_at})


def _refused(account: Account, event: RedemptionRejected | AccountCommandRejected) -> Account:
    return replace(account, refused={**account.refused, event.source_event_id: event.occurred_at})


def _credit(
    account: Account, lot_id: str, points: int, available_at: datetime, expires_at: datetime, repay: bool = True
) -> Account:
    """Opens a lot with `points`; what the customer owes is repaid from it first, unless an explicit
    `OwedRepaid` does (for earn's credits)."""
    if points <= 0:
        return account
    repaid = min(points, account.owed) if repay else 0
    lot = Lot(lot_id, points, points - repaid, available_at, expires_at)
    return replace(account, lots=open_lot(account.lots, lot), owed=account.owed - repaid)


def _adjusted(account: Account, event: PointsAdjusted) -> Account:
    totals = replace(account.totals, adjusted=account.totals.adjusted + event.points)
    if event.points > 0:
        if event.available_at is None or event.expires_at is None:
            raise ValueError("a credit adjustment opens a lot: it needs its available and expiry times")
        account = _credit(account, event.lots[0].lot_id, event.points, event.available_at, event.expires_at)
        return replace(account, totals=totals)
    lots = debit(account.lots, event.lots)
    return replace(account, lots=lots, owed=account.owed + event.uncovered, totals=totals)


def _transferred(account: Account, event: PointsTransferred) -> Account:
    t = account.totals
    if event.points < 0:
        totals = replace(t, transferred_out=t.transferred_out - event.points)
        lots = debit(account.lots, event.lots)
        sent = account.at(event.occurred_at)
        return replace(account, lots=lots, totals=totals, transfers=(*account.transfers, sent))
    for share in event.lots:
        if share.expires_at is None:
            raise ValueError("a transfer in opens one lot per share, each with its expiry")
        account = _credit(account, share.lot_id, share.points, event.occurred_at, share.expires_at)
    return replace(account, totals=replace(t, transferred_in=t.transferred_in + event.points))
