"""The redeem service's stream processor: the customer's balance, every debit, exactly once.

Reads loyalty.redemption-requests (requests, account commands, transfer credits), loyalty.ledger
(earn's credits and clawback claims; its own entries are already applied), loyalty.tiers (the tier
a price discount or a tier-only reward looks at) and redeem.expiry-ticks (its own clock).

Bytes and keys only: the decisions are `services.redeem.decider`'s, which reaches the reward stock
in PostgreSQL through a port (`reward_stock.Reservations`, decision 0002); the stock's answer is
stored per customer's redemption id, so a retried batch reaches the same decision; a grant no
approval uses is given back (`reservations.py`). An event dated more than
FUTURE_TOLERANCE_SECONDS past its record's time in the log counts as that time. Every output is
keyed by its own customer: a sweep of due lots writes for the partition's customers, a transfer
writes the recipient's credit command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook
from services.common.settings import pairs, settings
from services.common.statestore import StateView
from services.common.timestamps import no_later_than
from services.redeem import decider, grants, messages, schedule, ticks
from services.redeem.account import Account, next_expiry
from services.redeem.events import ContractViolation, ExpiryTick
from services.redeem.metrics import LEGACY_TICKS, observe
from services.redeem.operations import TransferLimits
from services.redeem.retention import Retention
from services.redeem.reward_stock import Reservations, Stock
from services.redeem.rewards import RewardBook
from services.redeem.state import TIER, dump_account, load_state

SWEEP_LIMIT = 500
"""Customers a tick expires at most; a crowded hour is spread over ticks (each tick's output stays bounded)."""
RECONCILE_LIMIT = 500
"""Unconfirmed reservations a tick reconciles at most."""


@dataclass
class Redeem:
    """Bytes and keys around the redeem decider: decode, load the customer's state, decide, store, encode."""

    programs: ProgramBook
    rewards: RewardBook
    stock: Stock
    secrets: dict[str, str] = field(default_factory=lambda: pairs(settings().shop_secrets))
    tolerance: timedelta = field(default_factory=lambda: timedelta(seconds=settings().future_tolerance_seconds))
    """How far past its record's time in the log an event may be dated (beyond, it counts as that time)."""
    settle_after_s: float = field(default_factory=lambda: settings().reservation_settle_seconds)
    granted: grants.Recent = field(default_factory=grants.Recent)
    """Grants this process relied on lately: a later decision of the same request that is not an approval
    (its first attempt's transaction aborted, and the reward changed meanwhile) gives the grant back at once."""

    def step(self, key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
        name, record = decoded.name, decoded.record
        if name == "ExpiryTick":
            return self.tick(key, decoded, view)
        at = no_later_than(record["occurred_at"], decoded.logged_at, self.tolerance)
        if (command := messages.command(name, {**record, "occurred_at": at})) is None:
            return []  # its own ledger entries, read back
        if key != topics.customer_key(record["shop_id"], record["customer_id"]):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the record")
        before = self.load(view, key, record["shop_id"], record["customer_id"])
        try:
            after, events = decider.handle(command, before, self.context(record["shop_id"], at, decoded.partition))
        except ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        self.store(view, key, before, after)
        observe(events)
        return self.outputs(events)

    def context(self, shop_id: str, when: datetime, partition: int) -> decider.Context:
        return decider.Context(
            self.shop(shop_id, when), Reservations(self.stock, self.granted, partition), self.rewards
        )

    def tick(self, key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
        """The expiry clock: only the redeem service's own ticks move it."""
        if decoded.topic != topics.EXPIRY_TICKS.name:
            if key == ticks.TICK_KEY:  # the ticker of earlier versions: a replayed log holds them
                LEGACY_TICKS.inc()
                return []
            raise Rejected(f"an ExpiryTick on {decoded.topic} moves no clock: only {topics.EXPIRY_TICKS.name} does")
        grants.reconcile(view, self.stock, decoded.partition, self.settle_after_s, RECONCILE_LIMIT)
        return self.sweep(view, decoded.record["now"], decoded.partition)

    def sweep(self, view: StateView, now: datetime, partition: int) -> list[Output]:
        """Expires the due lots of up to SWEEP_LIMIT of the partition's customers, as of `now` (a tick's time).

        Every swept customer is stored: the sweep took it off the schedule, storing lists it again."""
        outputs: list[Output] = []
        for shop_id, customer_id in schedule.due(view, now, SWEEP_LIMIT):
            key = topics.customer_key(shop_id, customer_id)
            before = self.load(view, key, shop_id, customer_id)
            after, events = decider.handle(ExpiryTick(0, now), before, self.context(shop_id, now, partition))
            self.store_account(view, key, after.account)
            observe(events)
            outputs += self.outputs(events)
        return outputs

    @staticmethod
    def load(view: StateView, key: bytes, shop_id: str, customer_id: str) -> decider.State:
        return load_state(view.get(key), view.get(key + TIER), shop_id, customer_id)

    def store(self, view: StateView, key: bytes, before: decider.State, after: decider.State) -> None:
        if after.tier != before.tier:
            view.put(key + TIER, after.tier.encode())
        if after.account is not before.account:
            self.store_account(view, key, after.account)

    @staticmethod
    def store_account(view: StateView, key: bytes, account: Account) -> None:
        view.put(key, dump_account(account))
        schedule.put(view, (account.shop_id, account.customer_id), next_expiry(account))

    def outputs(self, events: list[Any]) -> list[Output]:
        out = []
        for event in events:
            topic = messages.WRITTEN.get(type(event))
            if topic is None:
                continue
            key = topics.customer_key(event.shop_id, event.customer_id)
            out.append(Output(topic, type(event).__name__, messages.record(event), key))
        return out

    def shop(self, shop_id: str, when: datetime) -> decider.Shop:
        program = self.programs.at(shop_id, when)
        return decider.Shop(
            secret=self.secrets.get(shop_id, ""),
            thresholds=program.balance_thresholds,
            transfer_limits=TransferLimits(
                program.transfers.max_points, program.transfers.max_per_day, program.timezone
            ),
            lot_lifetime=program.lot_lifetime,
            retention=Retention(duplicates=timedelta(days=settings().redeem_duplicates_days)),
        )


INPUTS = topics.inputs_of("redeem")


def config(
    programs: ProgramBook, rewards: RewardBook, stock_: Stock, batch_size: int = 500, before_batch: Any = None
) -> ProcessorConfig:
    return ProcessorConfig(
        service="redeem",
        inputs=INPUTS,
        changelog=topics.REDEEM_STATE,
        step=Redeem(programs, rewards, stock_).step,
        batch_size=batch_size,
        before_batch=before_batch,
    )
