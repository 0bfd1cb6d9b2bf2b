"""The redeem service's stream processor: the customer's balance, every debit, exactly once.

Reads loyalty.redemption-requests (requests, account commands, transfer credits), loyalty.ledger
(earn's credits and clawback claims; its own entries are already applied), loyalty.tiers (the tier
a price discount or a tier-only reward looks at) and redeem.expiry-ticks (its own clock). Bytes and keys
only: the decisions are `services.redeem.decider`'s, which reaches the reward stock in PostgreSQL
through a port (`Reservations`, decision 0002); the stock's answer is stored per customer's
redemption id, so a retried batch reaches the same decision; a grant no approval uses is given
back (`reservations.py`). An event dated more than
FUTURE_TOLERANCE_SECONDS past its record's time in the log counts as that time. Every output is
keyed by its own customer: a sweep of due lots writes for the partition's customers, a transfer
writes the recipient's credit command.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter

from services.common import topics
from services.common.codec import Decoded
from services.common.database import connect
from services.common.outage import Unavailable, database_outage
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook
from services.common.settings import pairs, settings
from services.common.statestore import StateView
from services.common.timestamps import no_later_than
from services.redeem import decider, grants, messages, schedule, stock, ticks
from services.redeem.account import Account, next_expiry
from services.redeem.catalog import Reward
from services.redeem.events import (
    ClawbackCollected,
    ContractViolation,
    ExpiryTick,
    PointsExpired,
    PointsRedeemed,
    RedemptionApproved,
    RedemptionRejected,
)
from services.redeem.operations import TransferLimits
from services.redeem.reservations import Reservation
from services.redeem.retention import Retention
from services.redeem.rewards import RewardBook
from services.redeem.state import TIER, dump_account, load_state

REDEMPTIONS = Counter("pointstream_redemptions_total", "Redemption decisions", ["shop", "outcome", "reason"])
POINTS = Counter("pointstream_redeem_points_total", "Points moved by the redeem service", ["shop", "movement"])
LEGACY_TICKS = Counter(
    "pointstream_redeem_legacy_ticks_skipped_total", "ExpiryTicks of earlier versions on loyalty.redemption-requests"
)
MOVEMENTS = {
    PointsRedeemed: "redeemed",
    PointsExpired: "expired",
    ClawbackCollected: "clawed_back",
}
SWEEP_LIMIT = 500
"""Customers a tick expires at most; a crowded hour is spread over ticks (each tick's output stays bounded)."""
RECONCILE_LIMIT = 500
"""Unconfirmed reservations a tick reconciles at most."""


class Stock:
    """The PostgreSQL reservations, called from the synchronous step.

    A database that cannot be reached (refused, closed or timed-out connections, a server shutting
    down) raises `Unavailable`, so the runtime retries the batch instead of dead-lettering the request;
    the connection is dropped and opened again on the next call.
    """

    def __init__(self, database_url: str, schema: str | None, timeout_s: float = 10.0) -> None:
        self._loop = asyncio.new_event_loop()
        self._url, self._schema, self._timeout_s = database_url, schema, timeout_s
        self._conn: Any = None

    def _run(self, work: Any) -> Any:
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = self._loop.run_until_complete(self._connect())
            return self._loop.run_until_complete(asyncio.wait_for(work(self._conn), self._timeout_s))
        except Exception as exc:
            if not database_outage(exc):
                raise
            self._drop()
            raise Unavailable("PostgreSQL", f"{type(exc).__name__}: {exc}") from exc

    async def _connect(self) -> Any:
        return await asyncio.wait_for(connect(self._url, self._schema), self._timeout_s)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    def reserve(
        self, shop: str, customer: str, partition: int, reward: str, redemption_id: str, quantity: int,
        units: int | None,
    ) -> stock.Reservation:  # fmt: skip
        reservation: stock.Reservation = self._run(
            lambda conn: stock.reserve(conn, shop, customer, partition, reward, redemption_id, quantity, units)
        )
        return reservation

    def release(self, shop: str, customer: str, redemption_id: str) -> bool:
        released: bool = self._run(lambda conn: stock.release(conn, shop, customer, redemption_id))
        return released

    def settle_confirmed(self, partition: int, older_than_s: float) -> int:
        settled: int = self._run(lambda conn: stock.settle_confirmed(conn, partition, older_than_s))
        return settled

    def unsettled(self, partition: int, older_than_s: float, limit: int) -> list[stock.Held]:
        held: list[stock.Held] = self._run(lambda conn: stock.unsettled(conn, partition, older_than_s, limit))
        return held

    def settle(self, held: list[stock.Held]) -> None:
        self._run(lambda conn: stock.settle(conn, held))


@dataclass
class Reservations:
    """The decider's stock port over PostgreSQL, for one partition's step."""

    stock: Stock
    granted: grants.Recent
    partition: int

    def reserve(self, shop_id: str, customer_id: str, reward: Reward, redemption_id: str, quantity: int) -> Reservation:
        reservation = self.stock.reserve(
            shop_id, customer_id, self.partition, reward.reward_id, redemption_id, quantity, reward.stock
        )
        if reservation.granted:
            self.granted.remember((shop_id, customer_id, redemption_id))
        return reservation

    def unused(self, shop_id: str, customer_id: str, redemption_id: str) -> None:
        if self.granted.forget((shop_id, customer_id, redemption_id)):
            self.stock.release(shop_id, customer_id, redemption_id)
            grants.RELEASED.labels("decided_otherwise").inc()

    def release(self, shop_id: str, customer_id: str, redemption_id: str) -> bool:
        return self.stock.release(shop_id, customer_id, redemption_id)


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
            self.observe(event)
            key = topics.customer_key(event.shop_id, event.customer_id)
            out.append(Output(topic, type(event).__name__, messages.record(event), key))
        return out

    @staticmethod
    def observe(event: Any) -> None:
        if isinstance(event, RedemptionApproved):
            REDEMPTIONS.labels(event.shop_id, "approved", "").inc()
        elif isinstance(event, RedemptionRejected):
            REDEMPTIONS.labels(event.shop_id, "rejected", event.reason).inc()
        elif (movement := MOVEMENTS.get(type(event))) is not None:
            POINTS.labels(event.shop_id, movement).inc(event.points)

    def shop(self, shop_id: str, when: datetime) -> decider.Shop:
        _, rules = self.programs.at(shop_id, when)
        transfers = rules.get("transfers") or {}
        return decider.Shop(
            secret=self.secrets.get(shop_id, ""),
            thresholds=tuple(int(t) for t in rules.get("balance_thresholds") or ()),
            transfer_limits=TransferLimits(
                transfers.get("max_points"), transfers.get("max_per_day"), rules.get("timezone", "UTC")
            ),
            lot_lifetime=timedelta(days=int(rules.get("lot_lifetime_days", 365))),
            retention=Retention(duplicates=timedelta(days=settings().redeem_duplicates_days)),
        )


INPUTS = (topics.REDEMPTION_REQUESTS, topics.LEDGER, topics.TIERS, topics.EXPIRY_TICKS)


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
