"""The earn service's stream processor: orders, tasks, profiles and tiers in; ledger entries out, exactly once.

Reads like a sentence: decode, load the customer's earnings and the shop's program, decide, evolve, emit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook
from services.common.statestore import StateView
from services.earn import domain, messages
from services.program import Program

POINTS = Counter("pointstream_earn_points_total", "Points credited and clawed back", ["shop", "movement"])
HELD = Counter("pointstream_earn_held_points_total", "Points held pending by the circuit breaker", ["shop"])
BREAKER_OPEN = Gauge(
    "pointstream_earn_circuit_breaker_open",
    "1 while a shop's hourly points budget is spent (credits are held)",
    ["shop"],
)
CAPPED = Counter("pointstream_earn_capped_points_total", "Points not credited: daily caps and task limits", ["shop"])


@dataclass
class Earn:
    programs: ProgramBook
    partitions: int
    _earned: dict[str, Any] = field(default_factory=dict)
    _breaker_open: dict[str, bool] = field(default_factory=dict)

    def step(self, key: bytes, decoded: Decoded, state: StateView) -> list[Output]:
        record = decoded.record
        if key != topics.customer_key(record["shop_id"], record["customer_id"]):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the event")
        program = self.programs.at(record["shop_id"], record["occurred_at"])
        event_id = record.get("event_id")
        seen = event_id is not None and state.get(messages.seen_key(key, event_id)) is not None
        order_id = record.get("order_id")
        order = None if order_id is None else (order_id, state.get(messages.order_key(key, order_id)))
        refs = self.task_refs(key, decoded.name, record, program, state)
        earnings = messages.load_earnings(
            state.get(key), frozenset({event_id}) if seen and event_id else frozenset(), order, refs
        )
        budget = domain.hourly_budget(program, self.partitions)
        # The shop's hourly count is kept only while its program has a circuit breaker.
        shop = None if budget is None else messages.load_shop(state.get(messages.shop_key(record["shop_id"])))
        try:
            events = self.decide(decoded.name, record, earnings, program, shop, budget)
        except domain.ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        return self.apply(key, record["shop_id"], events, earnings, shop, program, state, refs)

    @staticmethod
    def task_refs(key: bytes, name: str, record: dict[str, Any], program: Program, state: StateView) -> frozenset[str]:
        """The `(task, ref)` a task would use up, if it was paid already."""
        once = domain.once_key(messages.task_completed(record), program) if name == "TaskCompleted" else None
        return frozenset({once}) if once is not None and state.get(messages.task_ref_key(key, once)) else frozenset()

    @staticmethod
    def decide(
        name: str,
        record: dict[str, Any],
        earnings: domain.Earnings,
        program: Program,
        shop: domain.ShopHours | None,
        budget: int | None,
    ) -> list[domain.Event]:
        shop = shop or domain.ShopHours()
        deciders: dict[str, Callable[[], list[domain.Event]]] = {
            "OrderPaid": lambda: domain.decide_order(messages.order_paid(record), earnings, program, shop, budget),
            "OrderRefunded": lambda: domain.decide_refund(messages.order_refunded(record), earnings, program),
            "TaskCompleted": lambda: domain.decide_task(
                messages.task_completed(record), earnings, program, shop, budget
            ),
            "CustomerUpdated": lambda: [] if seen(earnings, record) else [messages.customer_updated(record)],
            "TierChanged": lambda: [messages.tier_changed(record)],
        }
        return deciders[name]()

    def apply(
        self,
        key: bytes,
        shop_id: str,
        events: list[domain.Event],
        earnings: domain.Earnings,
        shop: domain.ShopHours | None,
        program: Program,
        state: StateView,
        refs: frozenset[str] = frozenset(),
    ) -> list[Output]:
        if not events:
            return []
        outputs = []
        before = earnings.seen_event_ids
        for event in events:
            earnings = domain.evolve(earnings, event, program)
            if isinstance(event, domain.PointsEarned):
                shop = None if shop is None else domain.evolve_shop(shop, event)
                outputs.append(Output(topics.LEDGER, "PointsEarned", messages.points_earned(event)))
                self.observe_credit(shop_id, event)
            elif isinstance(event, domain.PointsClawedBack):
                outputs.append(Output(topics.LEDGER, "PointsClawedBack", messages.points_clawed_back(event)))
                POINTS.labels(shop_id, "clawed_back").inc(event.points)
        for event_id in earnings.seen_event_ids - before:
            state.put(messages.seen_key(key, event_id), b"1")
        for once in earnings.task_refs - refs:
            state.put(messages.task_ref_key(key, once), b"1")
        for order_id in {*earnings.earned_orders, *earnings.awaiting_order}:
            state.put(messages.order_key(key, order_id), messages.dump_order(order_id, earnings))
        state.put(key, messages.dump_earnings(earnings))
        if outputs and shop is not None:
            state.put(messages.shop_key(shop_id), messages.dump_shop(shop))
        return outputs

    def observe_credit(self, shop_id: str, event: domain.PointsEarned) -> None:
        if (earned := self._earned.get(shop_id)) is None:
            earned = self._earned[shop_id] = POINTS.labels(shop_id, "earned")
        earned.inc(event.points)
        if event.capped_points:
            CAPPED.labels(shop_id).inc(event.capped_points)
        held = event.held is not None
        if held:
            HELD.labels(shop_id).inc(event.points)
        if self._breaker_open.get(shop_id) != held:
            BREAKER_OPEN.labels(shop_id).set(held)
            self._breaker_open[shop_id] = held


def seen(earnings: domain.Earnings, record: dict[str, Any]) -> bool:
    return record["event_id"] in earnings.seen_event_ids


INPUTS = topics.inputs_of("earn")


def config(
    book: ProgramBook | None = None,
    partitions: int | None = None,
    batch_size: int = 500,
    before_batch: Callable[[], None] | None = None,
) -> ProcessorConfig:
    """Without a book, every shop earns by the default program (as the benchmarks do)."""
    from services.common.settings import settings

    earn = Earn(book or ProgramBook(), partitions or settings().partitions)
    return ProcessorConfig(
        service="earn",
        inputs=INPUTS,
        changelog=topics.EARN_STATE,
        step=earn.step,
        batch_size=batch_size,
        before_batch=before_batch,
    )


def step(key: bytes, decoded: Decoded, state: StateView) -> list[Output]:
    """The step with the default program, for runtimes that bring their own loop (the faust comparison)."""
    return _DEFAULT.step(key, decoded, state)


_DEFAULT = Earn(ProgramBook(), 6)
