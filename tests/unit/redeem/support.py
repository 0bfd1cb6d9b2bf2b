"""Builders and a small world for the redeem domain's tests: customers' accounts, a catalog, stock.

`World.send` hands one input to the redeem decider as the redeem service does, with the reward stock
in dicts (as PostgreSQL would keep it), and delivers a `TransferReceived` to the recipient right after.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.records import PointsClawedBack, PointsEarned, TierChanged
from services.redeem import decider
from services.redeem.account import Account
from services.redeem.catalog import Reward, reward_from
from services.redeem.decider import Shop
from services.redeem.events import (
    AdjustmentRequested,
    Command,
    Event,
    ExpiryTick,
    FreezeChanged,
    RedemptionCancelled,
    RedemptionRequested,
    TransferReceived,
    TransferRequested,
)
from services.redeem.reservations import Reservation

SHOP = "shop-1"
ADA, BOB = "ada", "bob"
T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
YEAR = timedelta(days=365)
SECRET = "demo-shop-secret"

_ids = itertools.count(1)


def _id(prefix: str, given: str | None) -> str:
    return given if given is not None else f"{prefix}-{next(_ids)}"


def earned(
    points: int,
    *,
    at: datetime = T0,
    lot: str | None = None,
    pending: timedelta = timedelta(0),
    lifetime: timedelta = YEAR,
    customer: str = ADA,
) -> PointsEarned:
    lot_id = _id("lot", lot)
    return PointsEarned(
        entry_id=lot_id, shop_id=SHOP, customer_id=customer, occurred_at=at, points=points,
        source_event_id=f"paid-{lot_id}", source_type="OrderPaid", order_id=None, reason="order", lot_id=lot_id,
        available_at=at + pending, expires_at=at + lifetime, rule_version=1,
    )  # fmt: skip


def clawback(
    points: int,
    *,
    lot: str | None = None,
    at: datetime = T0,
    may_go_negative: bool = False,
    entry: str | None = None,
    customer: str = ADA,
) -> PointsClawedBack:
    entry_id = _id("claim", entry)
    return claim(entry_id, customer, at, points, f"refund-{entry_id}", "o-1", lot, may_go_negative)


def claim(
    entry_id: str, customer: str, at: datetime, points: int, source_event_id: str, order_id: str, lot: str | None,
    may_go_negative: bool,
) -> PointsClawedBack:  # fmt: skip
    """A clawback claim as earn writes it; a claim without a reason is told by its order."""
    return PointsClawedBack(
        entry_id=entry_id, shop_id=SHOP, customer_id=customer, occurred_at=at, points=points,
        source_event_id=source_event_id, order_id=order_id, refund_id=f"r-{entry_id}", reason="", lot_id=lot,
        earned_entry_id=lot, refunded_minor=0, rule_version=1, qualifying=True, may_go_negative=may_go_negative,
    )  # fmt: skip


def request(
    reward_id: str = "mug",
    *,
    quantity: int = 1,
    cash_minor: int | None = None,
    at: datetime = T0,
    redemption: str | None = None,
    event_id: str | None = None,
    customer: str = ADA,
) -> RedemptionRequested:
    redemption_id = _id("red", redemption)
    return RedemptionRequested(_id("req", event_id), SHOP, customer, at, redemption_id, reward_id, quantity, cash_minor)


def cancel(
    redemption_id: str, *, at: datetime = T0, event_id: str | None = None, customer: str = ADA
) -> RedemptionCancelled:
    return RedemptionCancelled(_id("cancel", event_id), SHOP, customer, at, redemption_id, "returned", "staff-1")


def freeze(
    frozen: bool = True, *, at: datetime = T0, event_id: str | None = None, customer: str = ADA
) -> FreezeChanged:
    return FreezeChanged(_id("freeze", event_id), SHOP, customer, at, frozen, "fraud check", "staff-1")


def adjust(
    points: int,
    *,
    at: datetime = T0,
    may_go_negative: bool = False,
    event_id: str | None = None,
    customer: str = ADA,
) -> AdjustmentRequested:
    event = _id("adjust", event_id)
    return AdjustmentRequested(
        event, SHOP, customer, at, f"adj-{event}", points, "goodwill", "staff-1", may_go_negative
    )


def transfer(
    points: int, *, to: str = BOB, at: datetime = T0, event_id: str | None = None, customer: str = ADA
) -> TransferRequested:
    event = _id("transfer", event_id)
    return TransferRequested(event, SHOP, customer, at, f"tr-{event}", to, points)


def tick(now: datetime) -> ExpiryTick:
    return ExpiryTick(0, now)


def reward(reward_id: str = "mug", **document: Any) -> Reward:
    """A reward from a catalog document: a physical mug for 100 points unless told otherwise."""
    return reward_from(
        {"name": reward_id.title(), "kind": "physical", "points_price": 100, **document}, SHOP, reward_id
    )


Input = Command | RedemptionRequested


@dataclass
class CountedStock:
    """The decider's stock port as PostgreSQL answers it, in dicts: units reserved and codes handed out per reward,
    and each granted redemption's units until they are given back."""

    reserved: dict[str, int] = field(default_factory=dict)
    codes_issued: dict[str, int] = field(default_factory=dict)
    held: dict[str, tuple[str, int]] = field(default_factory=dict)

    def reserve(self, shop_id: str, customer_id: str, reward: Reward, redemption_id: str, quantity: int) -> Reservation:
        reserved = self.reserved.get(reward.reward_id, 0)
        if reward.stock is not None and reserved + quantity > reward.stock:
            return Reservation(False)
        self.reserved[reward.reward_id] = reserved + quantity
        index = self.codes_issued.get(reward.reward_id, 0)
        self.codes_issued[reward.reward_id] = index + 1
        self.held[redemption_id] = (reward.reward_id, quantity)
        return Reservation(True, index)

    def unused(self, shop_id: str, customer_id: str, redemption_id: str) -> None:
        self.release(shop_id, customer_id, redemption_id)

    def release(self, shop_id: str, customer_id: str, redemption_id: str) -> bool:
        if (held := self.held.pop(redemption_id, None)) is None:
            return False
        self.reserved[held[0]] -= held[1]
        return True


@dataclass(frozen=True)
class Catalog:
    rewards: Mapping[str, Reward]

    def get(self, shop_id: str, reward_id: str) -> Reward | None:
        return self.rewards.get(reward_id)


@dataclass
class World:
    shop: Shop = field(default_factory=lambda: Shop(secret=SECRET))
    rewards: Mapping[str, Reward] = field(default_factory=lambda: {"mug": reward()})
    tiers: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    stock: CountedStock = field(default_factory=CountedStock)
    deliver_twice: bool = False
    """Deliver each `TransferReceived` twice, as a retried producer would."""

    def account(self, customer: str = ADA) -> Account:
        return self.accounts.get(customer, Account(SHOP, customer))

    def send(self, *commands: Input) -> list[Event]:
        """Everything written for these inputs, in order (a delivered transfer's credit included)."""
        written: list[Event] = []
        for command in commands:
            written += self._one(command)
        return written

    def _one(self, command: Input) -> list[Event]:
        if isinstance(command, ExpiryTick):  # every customer of the partition
            return [e for customer in sorted(self.accounts) for e in self._for(customer, command)]
        return self._for(command.customer_id, command)

    def _for(self, customer: str, command: Input) -> list[Event]:
        """The redeem decider on the customer's state, as the processor calls it."""
        state = decider.State(self.account(customer), self.tiers.get(customer, decider.BASE_TIER))
        context = decider.Context(self.shop, self.stock, Catalog(self.rewards))
        after, decided = decider.handle(command, state, context)
        events = [e for e in decided if not isinstance(e, TierChanged)]
        self.accounts[customer] = after.account
        self.events += events
        delivered = [e for e in events if isinstance(e, TransferReceived)] * (2 if self.deliver_twice else 1)
        return events + [e for received in delivered for e in self._one(received)]


def of_type(events: Iterable[Event], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]
