"""The redeem decider: one command and the customer's state in, every debit and outcome out. Pure.

    decide(command, state, context) -> events    what a request, an account command, a ledger fact,
                                                 a tier or an expiry tick decides, with threshold crossings
    evolve(state, event, context) -> state
    handle(command, state, context)              both: the state after, and the events

The state is the customer's account and the tier it last reached. A redemption is decided in two steps
around the reward stock, which lives in PostgreSQL and reaches the decision through a port
(`Stock`, see `reservations.py`): an approvable request reserves stock, and the stock's answer
approves or rejects it; a grant the outcome does not use is given back (`Stock.unused`), and the
stock of a reversed redemption is released. Every command is idempotent by its event_id (earn's
entries by their entry_id; expiry by state), and every id written is derived from the input, so a
replay writes the same entries. Handled ids are kept for a retention window (retention.py).
Known gap: crossings caused by time alone (pending points becoming available) are announced at the
customer's next change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from services.program import DEFAULT as PROGRAM
from services.records import PointsClawedBack, PointsEarned, TierChanged
from services.redeem.account import Account
from services.redeem.account import evolve as evolve_account
from services.redeem.catalog import Reward
from services.redeem.credits import decide_clawback, decide_credit, decide_expiry
from services.redeem.events import (
    AdjustmentRequested,
    Command,
    Event,
    ExpiryTick,
    FreezeChanged,
    RedemptionCancelled,
    RedemptionRequested,
    RedemptionReversed,
    TransferReceived,
    TransferRequested,
)
from services.redeem.operations import (
    TransferLimits,
    decide_adjustment,
    decide_freeze,
    decide_transfer,
    decide_transfer_received,
)
from services.redeem.redemption import (
    Approvable,
    Decision,
    Duplicate,
    decide_cancellation,
    decide_redemption,
    reject,
)
from services.redeem.reservations import Reservation, decide_reserved, uses_reservation
from services.redeem.retention import RETENTION, Retention
from services.redeem.triggers import with_crossings

BASE_TIER = "member"
"""The tier of a customer no tier change has named yet."""


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


class Rewards(Protocol):
    def get(self, shop_id: str, reward_id: str) -> Reward | None:
        """The reward as configured now; None if unknown."""


class Stock(Protocol):
    """The reward stock (PostgreSQL in the service): a reservation per customer's redemption id."""

    def reserve(self, shop_id: str, customer_id: str, reward: Reward, redemption_id: str, quantity: int) -> Reservation:
        """Reserves `quantity` of the reward, idempotently: a retried request gets the first answer."""

    def unused(self, shop_id: str, customer_id: str, redemption_id: str) -> None:
        """The request's outcome uses no reservation: a grant an earlier attempt relied on is given back."""

    def release(self, shop_id: str, customer_id: str, redemption_id: str) -> bool:
        """Gives a reversed redemption's units back, once."""


class NoRewards:
    def get(self, shop_id: str, reward_id: str) -> Reward | None:
        return None


@dataclass(frozen=True)
class State:
    account: Account
    tier: str = BASE_TIER


def initial_state(shop_id: str, customer_id: str) -> State:
    return State(Account(shop_id, customer_id))


@dataclass(frozen=True)
class Context:
    shop: Shop
    stock: Stock
    rewards: Rewards = field(default_factory=NoRewards)


Input = Command | RedemptionRequested | TierChanged


def time_of(command: Command | RedemptionRequested) -> datetime:
    return command.now if isinstance(command, ExpiryTick) else command.occurred_at


def decide(command: Input, state: State, context: Context) -> list[Event | TierChanged]:
    return list(handle(command, state, context)[1])


def evolve(state: State, event: Event | TierChanged, context: Context) -> State:
    if isinstance(event, TierChanged):
        return replace(state, tier=event.to_tier)
    return replace(state, account=evolve_account(state.account, event, context.shop.retention))


def handle(command: Input, state: State, context: Context) -> tuple[State, list[Event | TierChanged]]:
    """The state after the command and everything it decided (its threshold crossings included)."""
    if isinstance(command, TierChanged):
        return replace(state, tier=command.to_tier), [command]
    shop = context.shop
    if isinstance(command, RedemptionRequested):
        decided = decide_request(command, state, context)
    else:
        decided = decide_account(command, state.account, shop)
    account, events = with_crossings(state.account, decided, shop.thresholds, time_of(command), shop.retention)
    for reversed_ in (e for e in events if isinstance(e, RedemptionReversed)):
        context.stock.release(reversed_.shop_id, reversed_.customer_id, reversed_.redemption_id)  # idempotent
    return replace(state, account=account), list(events)


def before_stock(request: RedemptionRequested, state: State, context: Context) -> tuple[Decision, Reward | None]:
    """What the account and the catalog decide of a request, and its reward, before the stock is asked."""
    reward = context.rewards.get(request.shop_id, request.reward_id)
    return decide_redemption(request, state.account, reward, state.tier, request.occurred_at), reward


def decide_request(request: RedemptionRequested, state: State, context: Context) -> list[Event]:
    """A redemption: the domain decides first; only an approvable request reserves stock (decision 0002)."""
    decision, reward = before_stock(request, state, context)
    if isinstance(decision, Duplicate):
        return []
    if isinstance(decision, Approvable):
        if reward is None:  # decide_redemption approves only a known reward
            raise ValueError(f"redemption {request.redemption_id} approvable without its reward")
        reservation = context.stock.reserve(
            request.shop_id, request.customer_id, reward, request.redemption_id, decision.quantity
        )
        events = decide_reserved(
            decision, state.account, reward, request, request.occurred_at, context.shop.secret, reservation
        )
    else:
        events = reject(request, decision.reason)
    if not uses_reservation(events):
        context.stock.unused(request.shop_id, request.customer_id, request.redemption_id)
    return events


def decide_account(command: Command, account: Account, shop: Shop) -> list[Event]:
    """Every command but a redemption request."""
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
