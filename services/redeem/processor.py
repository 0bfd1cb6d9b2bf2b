"""The redeem service's stream processor: the customer's balance, every debit, exactly once.

Reads loyalty.redemption-requests (requests, account commands, transfer credits), loyalty.ledger
(earn's credits and clawback claims; its own entries are already applied), loyalty.tiers (the tier
a price discount or a tier-only reward looks at) and redeem.expiry-ticks (its own clock). For a
redemption the domain decides first; only an approvable one reserves stock in PostgreSQL (decision
0002), whose answer is stored per customer's redemption id, so a retried batch reaches the same
decision; a grant no approval uses is given back (`reservations.py`). An event dated more than
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
from services.redeem import domain, grants, messages, schedule, stock, ticks
from services.redeem.rewards import RewardBook
from services.redeem.state import dump_account, load_account

REDEMPTIONS = Counter("pointstream_redemptions_total", "Redemption decisions", ["shop", "outcome", "reason"])
POINTS = Counter("pointstream_redeem_points_total", "Points moved by the redeem service", ["shop", "movement"])
LEGACY_TICKS = Counter(
    "pointstream_redeem_legacy_ticks_skipped_total", "ExpiryTicks of earlier versions on loyalty.redemption-requests"
)
OWN_ENTRIES = frozenset(
    {
        "ClawbackCollected",
        "PointsRedeemed",
        "PointsRestored",
        "PointsExpired",
        "PointsAdjusted",
        "PointsTransferred",
        "OwedRepaid",
    }
)
"""Ledger records this service writes: applied when decided, ignored when read back."""
MOVEMENTS = {
    domain.PointsRedeemed: "redeemed",
    domain.PointsExpired: "expired",
    domain.ClawbackCollected: "clawed_back",
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
class Redeem:
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
        if name in OWN_ENTRIES:
            return []
        if name == "ExpiryTick":
            return self.tick(key, decoded, view)
        if key != topics.customer_key(record["shop_id"], record["customer_id"]):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the record")
        if name == "TierChanged":
            view.put(key + b"\x00tier", record["to_tier"].encode())
            return []
        record = {**record, "occurred_at": no_later_than(record["occurred_at"], decoded.logged_at, self.tolerance)}
        account = load_account(view.get(key), record["shop_id"], record["customer_id"])
        command = messages.command(name, record)
        shop = self.shop(record["shop_id"], record["occurred_at"])
        try:
            if name == "RedemptionRequested":
                tier = (view.get(key + b"\x00tier") or b"member").decode()
                decided = self.redeem(command, account, tier, shop, decoded.partition)
                after, events = domain.with_crossings(
                    account, decided, shop.thresholds, command.occurred_at, shop.retention
                )
            else:
                after, events = domain.handle(command, account, shop)
        except domain.ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        for reversed_ in (e for e in events if isinstance(e, domain.RedemptionReversed)):
            self.stock.release(reversed_.shop_id, reversed_.customer_id, reversed_.redemption_id)  # idempotent
        self.store(view, key, after)
        return self.outputs(events)

    def redeem(
        self, request: Any, account: domain.Account, tier: str, shop: domain.Shop, partition: int
    ) -> list[domain.Event]:
        reward = self.rewards.get(request.shop_id, request.reward_id)
        decision = domain.decide_redemption(request, account, reward, tier, request.occurred_at)
        if isinstance(decision, domain.Duplicate):
            return []
        grant: grants.Grant = (request.shop_id, request.customer_id, request.redemption_id)
        if isinstance(decision, domain.Approvable):
            assert reward is not None  # approvable
            reservation = self.stock.reserve(
                *grant[:2], partition, reward.reward_id, request.redemption_id, decision.quantity, reward.stock
            )
            if reservation.granted:
                self.granted.remember(grant)
            events = domain.decide_reserved(
                decision, account, reward, request, request.occurred_at, shop.secret, reservation
            )
        else:
            events = domain.reject(request, decision.reason)
        if not domain.uses_reservation(events) and self.granted.forget(grant):
            self.stock.release(*grant)
            grants.RELEASED.labels("decided_otherwise").inc()
        return events

    def tick(self, key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
        """The expiry clock: only the redeem service's own ticks move it."""
        if decoded.topic != topics.EXPIRY_TICKS.name:
            if key == ticks.TICK_KEY:  # the ticker of earlier versions: a replayed log holds them
                LEGACY_TICKS.inc()
                return []
            raise Rejected(f"an ExpiryTick on {decoded.topic} moves no clock: only {topics.EXPIRY_TICKS.name} does")
        grants.reconcile(view, self.stock, decoded.partition, self.settle_after_s, RECONCILE_LIMIT)
        return self.sweep(view, decoded.record["now"])

    def sweep(self, view: StateView, now: datetime) -> list[Output]:
        """Expires the due lots of up to SWEEP_LIMIT of the partition's customers, as of `now` (a tick's time)."""
        outputs: list[Output] = []
        for shop_id, customer_id in schedule.due(view, now, SWEEP_LIMIT):
            key = topics.customer_key(shop_id, customer_id)
            account = load_account(view.get(key), shop_id, customer_id)
            after, events = domain.handle(domain.ExpiryTick(0, now), account, self.shop(shop_id, now))
            self.store(view, key, after)
            outputs += self.outputs(events)
        return outputs

    def store(self, view: StateView, key: bytes, after: domain.Account) -> None:
        view.put(key, dump_account(after))
        schedule.put(view, (after.shop_id, after.customer_id), domain.next_expiry(after))

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

    def observe(self, event: Any) -> None:
        if isinstance(event, domain.RedemptionApproved):
            REDEMPTIONS.labels(event.shop_id, "approved", "").inc()
        elif isinstance(event, domain.RedemptionRejected):
            REDEMPTIONS.labels(event.shop_id, "rejected", event.reason).inc()
        elif (movement := MOVEMENTS.get(type(event))) is not None:
            POINTS.labels(event.shop_id, movement).inc(event.points)

    def shop(self, shop_id: str, when: datetime) -> domain.Shop:
        program = self.programs.at(shop_id, when)
        return domain.Shop(
            secret=self.secrets.get(shop_id, ""),
            thresholds=program.balance_thresholds,
            transfer_limits=domain.TransferLimits(
                program.transfers.max_points, program.transfers.max_per_day, program.timezone
            ),
            lot_lifetime=program.lot_lifetime,
            retention=domain.Retention(duplicates=timedelta(days=settings().redeem_duplicates_days)),
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
