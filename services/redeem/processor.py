"""The redeem service's stream processor: the customer's balance, every debit, exactly once.

Reads loyalty.redemption-requests (requests, account commands, transfer credits), loyalty.ledger
(earn's credits and clawback claims; its own entries are already applied), loyalty.tiers (the tier
a price discount or a tier-only reward looks at) and redeem.expiry-ticks (its own clock).

Bytes and keys only: the decisions are `services.redeem.decider`'s, which reaches the reward stock
in PostgreSQL through a port (`reward_stock.Reservations`, decision 0002); the stock's answer is
stored per customer's redemption id, so a retried batch reaches the same decision; a grant no
approval uses is given back (`reservations.py`). A batch's reservations are asked at once before
its steps (`prepare`, `lookahead.py`) and its unused grants given back at once after them (`finish`),
a round trip each (decision 0004). An event dated more than
FUTURE_TOLERANCE_SECONDS past its record's time in the log counts as that time. Every output is
keyed by its own customer: a sweep of due lots writes for the partition's customers, a transfer
writes the recipient's credit command.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.common import topics
from services.common.codec import Decoded
from services.common.outage import Unavailable
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook
from services.common.settings import pairs, settings
from services.common.statestore import StateView
from services.common.timestamps import no_later_than
from services.redeem import decider, grants, lookahead, messages, schedule, ticks
from services.redeem.account import Account, next_expiry
from services.redeem.batch_reservations import Ask, Foreseen, Sheet
from services.redeem.decider import time_of
from services.redeem.events import ContractViolation, ExpiryTick, RedemptionRequested
from services.redeem.metrics import LEGACY_TICKS, observe
from services.redeem.operations import TransferLimits
from services.redeem.redemption import Approvable
from services.redeem.retention import Retention
from services.redeem.reward_stock import Reservations, Stock
from services.redeem.rewards import RewardBook
from services.redeem.state import TIER, dump_account, load_state

log = logging.getLogger(__name__)
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
    (its first attempt's transaction aborted, and the reward changed meanwhile) gives the grant back at the end of
    its batch."""
    sheet: Sheet = field(default_factory=Sheet)
    """The batch's reservations, asked at once before its steps (`prepare`); its leftovers given back at its end
    (`finish`)."""
    parsed: dict[bytes, tuple[bytes | None, bytes | None, decider.State]] = field(default_factory=dict)
    """The batch's customers' states as the look-ahead parsed them, by key, with the bytes they were parsed from."""

    def step(self, key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
        if decoded.name == "ExpiryTick":
            return self.tick(key, decoded, view)
        if (command := self.command(key, decoded)) is None:
            return []  # its own ledger entries, read back
        record = decoded.record
        before = self.load(view, key, record["shop_id"], record["customer_id"])
        context = self.context(record["shop_id"], command.occurred_at, self.reservations(decoded.partition))
        try:
            after, events = decider.handle(command, before, context)
        except ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        self.store(view, key, before, after)
        observe(events)
        return self.outputs(events)

    def command(self, key: bytes, decoded: Decoded) -> Any:
        """The record's command, dated no later than its time in the log (None: its own ledger entries)."""
        record = decoded.record
        at = no_later_than(record["occurred_at"], decoded.logged_at, self.tolerance)
        if (command := messages.command(decoded.name, {**record, "occurred_at": at})) is None:
            return None
        if key != topics.customer_key(record["shop_id"], record["customer_id"]):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the record")
        return command

    def prepare(self, batch: list[tuple[bytes, Decoded, StateView]]) -> None:
        """Before a batch's steps: the reservations its decisions will ask for, asked of the stock at once."""
        self.parsed = {}
        try:
            asks = lookahead.asks(batch, self.command, self.loaded, self.foresee, self.clock)
            self.sheet = Sheet(dict(zip(asks, self.stock.reserve_all(asks), strict=True)))
        except Unavailable:
            raise  # the batch is tried again
        except Exception:  # a bug must not stop the partition: each step asks alone, as it would without a sheet
            log.exception("the batch's reservations could not be asked at once; each is asked alone")
            self.sheet = Sheet()

    def foresee(
        self, command: Any, state: decider.State, partition: int, last: bool
    ) -> tuple[decider.State, list[Ask]]:
        """The state after the command, had every reservation been granted, and the reservations it asked; of the
        customer's last request of the batch, only what it asks (no state after it is needed)."""
        foreseen = Foreseen(partition)
        context = self.context(state.account.shop_id, time_of(command), foreseen)
        if last and isinstance(command, RedemptionRequested):
            decision, reward = decider.before_stock(command, state, context)
            if isinstance(decision, Approvable) and reward is not None:
                foreseen.reserve(command.shop_id, command.customer_id, reward, command.redemption_id, decision.quantity)
            return state, foreseen.asks
        after, _ = decider.handle(command, state, context)
        return after, foreseen.asks

    def loaded(self, view: StateView, key: bytes, decoded: Decoded) -> decider.State:
        """The customer's state before the batch, kept for its first step (parsing it twice would cost as much as
        the look-ahead's decisions)."""
        raw, tier = view.get(key), view.get(key + TIER)
        state = load_state(raw, tier, decoded.record["shop_id"], decoded.record["customer_id"])
        self.parsed[key] = (raw, tier, state)
        return state

    @staticmethod
    def clock(decoded: Decoded) -> ExpiryTick | None:
        """The tick's command, if it moves the clock (only the service's own ticks do)."""
        return ExpiryTick(0, decoded.record["now"]) if decoded.topic == topics.EXPIRY_TICKS.name else None

    def finish(self) -> None:
        """After a batch's steps, before its commit: the grants no decision of the batch used, given back."""
        released = self.stock.release_all(self.sheet.leftovers())
        self.sheet, self.parsed = Sheet(), {}
        grants.RELEASED.labels("decided_otherwise").inc(released)

    def reservations(self, partition: int) -> Reservations:
        return Reservations(self.stock, self.granted, partition, self.sheet)

    def context(self, shop_id: str, when: datetime, stock_: decider.Stock) -> decider.Context:
        return decider.Context(self.shop(shop_id, when), stock_, self.rewards)

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
            context = self.context(shop_id, now, self.reservations(partition))
            after, events = decider.handle(ExpiryTick(0, now), before, context)
            self.store_account(view, key, after.account)
            observe(events)
            outputs += self.outputs(events)
        return outputs

    def load(self, view: StateView, key: bytes, shop_id: str, customer_id: str) -> decider.State:
        raw, tier = view.get(key), view.get(key + TIER)
        known = self.parsed.get(key)
        if known is not None and known[0] is raw and known[1] is tier:  # the very bytes the look-ahead parsed
            return known[2]
        return load_state(raw, tier, shop_id, customer_id)

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
    redeem = Redeem(programs, rewards, stock_)
    return ProcessorConfig(
        service="redeem",
        inputs=INPUTS,
        changelog=topics.REDEEM_STATE,
        step=redeem.step,
        batch_size=batch_size,
        before_batch=before_batch,
        prepare=redeem.prepare,
        finish=redeem.finish,
    )
