"""Builders and a small world for the redeem domain's tests: customers' accounts, a catalog, stock.

`World.send` does what the redeem service does with one input: a redemption request is decided,
stock reserved (in a dict, as PostgreSQL would) and approved or rejected; every other command is
handled; the events are folded with threshold triggers, and a `TransferReceived` is delivered to
the recipient right after.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.redeem.domain import (
    Account,
    AdjustmentRequested,
    Approvable,
    Command,
    Duplicate,
    Event,
    ExpiryTick,
    FreezeChanged,
    PointsClawedBack,
    PointsEarned,
    RedemptionCancelled,
    RedemptionRejected,
    RedemptionRequested,
    RedemptionReversed,
    Reward,
    Shop,
    TransferReceived,
    TransferRequested,
    approve,
    decide_redemption,
    handle,
    reject,
    reward_from,
    with_crossings,
)

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
    return PointsEarned(lot_id, SHOP, customer, at, points, f"paid-{lot_id}", lot_id, at + pending, at + lifetime)


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
    return PointsClawedBack(entry_id, SHOP, customer, at, points, f"refund-{entry_id}", "o-1", lot, may_go_negative)


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
class World:
    shop: Shop = field(default_factory=lambda: Shop(secret=SECRET))
    rewards: Mapping[str, Reward] = field(default_factory=lambda: {"mug": reward()})
    tiers: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    reserved: dict[str, int] = field(default_factory=dict)
    codes_issued: dict[str, int] = field(default_factory=dict)
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
        account = self.account(customer)
        if isinstance(command, RedemptionRequested):
            decided = self._redeem(command, account)
            account, events = with_crossings(
                account, decided, self.shop.thresholds, command.occurred_at, self.shop.retention
            )
        else:
            account, events = handle(command, account, self.shop)
        self.accounts[customer] = account
        self.events += events
        for event in events:
            if isinstance(event, RedemptionReversed):
                reward_id = account.redemptions[event.redemption_id].reward_id
                self.reserved[reward_id] -= account.redemptions[event.redemption_id].quantity
        delivered = [e for e in events if isinstance(e, TransferReceived)] * (2 if self.deliver_twice else 1)
        return events + [e for received in delivered for e in self._one(received)]

    def _redeem(self, command: RedemptionRequested, account: Account) -> list[Event]:
        found = self.rewards.get(command.reward_id)
        tier = self.tiers.get(command.customer_id, "member")
        decision = decide_redemption(command, account, found, tier, command.occurred_at)
        if isinstance(decision, Duplicate):
            return []
        if not isinstance(decision, Approvable):
            return reject(command, decision.reason)
        assert found is not None
        reserved = self.reserved.get(found.reward_id, 0)
        if found.stock is not None and reserved + decision.quantity > found.stock:
            return reject(command, "out_of_stock")
        self.reserved[found.reward_id] = reserved + decision.quantity
        index = self.codes_issued.get(found.reward_id, 0)
        self.codes_issued[found.reward_id] = index + 1
        events = approve(decision, account, found, command, command.occurred_at, self.shop.secret, index)
        if of_type(events, RedemptionRejected):
            self.reserved[found.reward_id] -= decision.quantity
        return events


def of_type(events: Iterable[Event], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]
