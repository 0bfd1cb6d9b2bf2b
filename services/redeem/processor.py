"""The redeem service's stream processor: the customer's balance, every debit, exactly once.

Reads loyalty.redemption-requests (requests, account commands, transfer credits, expiry ticks),
loyalty.ledger (earn's credits and clawback claims; its own entries are already applied) and
loyalty.tiers (the tier a price discount or a tier-only reward looks at). For a redemption the
domain decides first; only an approvable one reserves stock in PostgreSQL (decision 0002), whose
answer is stored per redemption id, so a retried batch reaches the same decision. Every output is
keyed by its own customer: a sweep of due lots writes for the partition's customers, a transfer
writes the recipient's credit command.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from prometheus_client import Counter

from services.common import topics
from services.common.codec import Decoded
from services.common.database import connect
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook
from services.common.settings import pairs, settings
from services.common.statestore import StateView
from services.redeem import domain, messages, stock
from services.redeem.rewards import RewardBook
from services.redeem.state import dump_account, load_account

REDEMPTIONS = Counter("pointstream_redemptions_total", "Redemption decisions", ["shop", "outcome", "reason"])
POINTS = Counter("pointstream_redeem_points_total", "Points moved by the redeem service", ["shop", "movement"])
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
DUE = b"\x00due\x00"
DUE_DAYS = b"\x00due-days"


class Stock:
    """The PostgreSQL reservations, called from the synchronous step."""

    def __init__(self, database_url: str, schema: str | None) -> None:
        self._loop = asyncio.new_event_loop()
        self._url, self._schema = database_url, schema
        self._conn: Any = None

    def _run(self, work: Any) -> Any:
        if self._conn is None or self._conn.is_closed():
            self._conn = self._loop.run_until_complete(connect(self._url, self._schema))
        return self._loop.run_until_complete(work(self._conn))

    def reserve(
        self, shop: str, reward: str, redemption_id: str, quantity: int, units: int | None
    ) -> stock.Reservation:
        reservation: stock.Reservation = self._run(
            lambda conn: stock.reserve(conn, shop, reward, redemption_id, quantity, units)
        )
        return reservation

    def release(self, shop: str, redemption_id: str) -> None:
        self._run(lambda conn: stock.release(conn, shop, redemption_id))


@dataclass
class Redeem:
    programs: ProgramBook
    rewards: RewardBook
    stock: Stock
    secrets: dict[str, str] = field(default_factory=lambda: pairs(settings().shop_secrets))

    def step(self, key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
        name, record = decoded.name, decoded.record
        if name in OWN_ENTRIES:
            return []
        if name == "ExpiryTick":
            return self.sweep(view, record["now"])
        if key != topics.customer_key(record["shop_id"], record["customer_id"]):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the record")
        if name == "TierChanged":
            view.put(key + b"\x00tier", record["to_tier"].encode())
            return []
        account = load_account(view.get(key), record["shop_id"], record["customer_id"])
        command = messages.command(name, record)
        shop = self.shop(record["shop_id"], record["occurred_at"])
        try:
            if name == "RedemptionRequested":
                tier = (view.get(key + b"\x00tier") or b"member").decode()
                decided = self.redeem(command, account, tier, shop)
                after, events = domain.settle(account, decided, shop.thresholds, command.occurred_at, shop.retention)
            else:
                after, events = domain.handle(command, account, shop)
        except domain.ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        for reversed_ in (e for e in events if isinstance(e, domain.RedemptionReversed)):
            self.stock.release(reversed_.shop_id, reversed_.redemption_id)  # idempotent, like the reservation
        self.store(view, key, account, after)
        return self.outputs(events)

    def redeem(self, request: Any, account: domain.Account, tier: str, shop: domain.Shop) -> list[Any]:
        reward = self.rewards.get(request.shop_id, request.reward_id)
        decision = domain.decide_redemption(request, account, reward, tier, request.occurred_at)
        if isinstance(decision, domain.Duplicate):
            return []
        if not isinstance(decision, domain.Approvable):
            return domain.reject(request, decision.reason)
        assert reward is not None  # approvable
        reservation = self.stock.reserve(
            request.shop_id, reward.reward_id, request.redemption_id, decision.quantity, reward.stock
        )
        if not reservation.granted:
            return domain.reject(request, "out_of_stock")
        events = domain.approve(
            decision, account, reward, request, request.occurred_at, shop.secret, reservation.code_index or 0
        )
        if any(isinstance(e, domain.RedemptionRejected) for e in events):  # the code pool ran out
            self.stock.release(request.shop_id, request.redemption_id)
        return events

    def sweep(self, view: StateView, now: datetime) -> list[Output]:
        """Expires the due lots of the partition's customers, as of `now` (an ExpiryTick's time)."""
        days = sorted(int(d) for d in (view.get(DUE_DAYS) or b"").split(b",") if d)
        outputs: list[Output] = []
        for day in [d for d in days if d <= day_of(now)]:
            for shop_id, customer_id in due_on(view, day, now):
                key = topics.customer_key(shop_id, customer_id)
                account = load_account(view.get(key), shop_id, customer_id)
                shop = self.shop(shop_id, now)
                after, events = domain.handle(domain.ExpiryTick(0, now), account, shop)
                self.store(view, key, account, after)
                outputs += self.outputs(events)
        return outputs

    def store(self, view: StateView, key: bytes, before: domain.Account, after: domain.Account) -> None:
        view.put(key, dump_account(after))
        old, new = domain.next_expiry(before), domain.next_expiry(after)
        if old != new:
            customer = (after.shop_id, after.customer_id)
            if old is not None:
                unschedule(view, customer, old)
            if new is not None:
                schedule(view, customer, new)

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
        _, rules = self.programs.at(shop_id, when)
        transfers = rules.get("transfers") or {}
        return domain.Shop(
            secret=self.secrets.get(shop_id, ""),
            thresholds=tuple(int(t) for t in rules.get("balance_thresholds") or ()),
            transfer_limits=domain.TransferLimits(
                transfers.get("max_points"), transfers.get("max_per_day"), rules.get("timezone", "UTC")
            ),
            lot_lifetime=timedelta(days=int(rules.get("lot_lifetime_days", 365))),
            retention=domain.Retention(duplicates=timedelta(days=settings().redeem_duplicates_days)),
        )


def day_of(when: datetime) -> int:
    return int(when.timestamp()) // 86_400


def _bucket(view: StateView, day: int) -> list[list[Any]]:
    raw = view.get(DUE + str(day).encode())
    return [] if raw is None else list(orjson.loads(raw))


def _put_bucket(view: StateView, day: int, items: list[list[Any]]) -> None:
    view.put(DUE + str(day).encode(), orjson.dumps(items))
    days = {int(d) for d in (view.get(DUE_DAYS) or b"").split(b",") if d}
    days = (days | {day}) if items else (days - {day})
    view.put(DUE_DAYS, ",".join(str(d) for d in sorted(days)).encode())


def schedule(view: StateView, customer: tuple[str, str], when: datetime) -> None:
    day = day_of(when)
    _put_bucket(view, day, [*_bucket(view, day), [when.timestamp(), *customer]])


def unschedule(view: StateView, customer: tuple[str, str], when: datetime) -> None:
    day = day_of(when)
    _put_bucket(view, day, [item for item in _bucket(view, day) if tuple(item[1:]) != customer])


def due_on(view: StateView, day: int, now: datetime) -> list[tuple[str, str]]:
    """Customers of the day's bucket whose next expiry is at or before `now` (they are rescheduled by `store`)."""
    return sorted({(shop, customer) for at, shop, customer in _bucket(view, day) if at <= now.timestamp()})


INPUTS = (topics.REDEMPTION_REQUESTS, topics.LEDGER, topics.TIERS)


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
