"""The earn service's stream processor: orders, tasks, profiles and tiers in; ledger entries out, exactly once.

Bytes and keys only: decode the input, load the part of the customer's state it needs and the shop's
program, call the decider (`services.earn.decider`), store the state it leaves, encode the ledger entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from services.common import expiry, topics
from services.common.codec import Decoded
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook
from services.common.settings import Settings, settings
from services.common.statestore import StateView
from services.common.timestamps import millis, moment, no_later_than
from services.earn import decider, messages, retention
from services.earn.commands import Command, TaskCompleted
from services.earn.earnings import NO_HOURS
from services.earn.metrics import Observed
from services.earn.retention import Windows
from services.earn.validation import ContractViolation


@dataclass
class Earn:
    """Bytes and keys around the earn decider: decode, load what the input needs, decide, store, encode."""

    programs: ProgramBook
    partitions: int
    observed: Observed = field(default_factory=Observed)
    windows: Windows = field(default_factory=lambda: windows_of(settings()))
    tolerance: timedelta = field(default_factory=lambda: timedelta(seconds=settings().future_tolerance_seconds))
    """How far past its record's time in the log an event may move the partition's clock."""

    def step(self, key: bytes, decoded: Decoded, state: StateView) -> list[Output]:
        record = decoded.record
        if key != topics.customer_key(record["shop_id"], record["customer_id"]):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the event")
        command = messages.command(decoded.name, record)
        clock = expiry.advance(state, millis(no_later_than(record["occurred_at"], decoded.logged_at, self.tolerance)))
        program = self.programs.at(record["shop_id"], record["occurred_at"])
        context = decider.context(program, self.partitions, moment(clock), self.windows)
        needs = decider.needs(command, context)
        before = self.load(key, record["shop_id"], needs, context, state)
        try:
            after, events = decider.handle(command, before, context)
        except ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        if events:
            self.store(key, record["shop_id"], command, (before, after), context, state)
        self.observed.observe(events)
        return messages.outputs(events)

    @staticmethod
    def load(
        key: bytes, shop_id: str, needs: decider.Needs, context: decider.Context, state: StateView
    ) -> decider.State:
        """The customer's state as far as the input needs it, and the shop's hours if they are kept; a record past
        its window reads as gone, whether or not the sweep has deleted it yet."""
        now = millis(context.clock) if context.clock is not None else 0

        def kept(state_key: bytes) -> bytes | None:
            return expiry.get(state, state_key, now)

        seen = needs.event_id is not None and kept(messages.seen_key(key, needs.event_id)) is not None
        order = None if needs.order_id is None else (needs.order_id, kept(messages.order_key(key, needs.order_id)))
        paid = needs.once is not None and kept(messages.task_ref_key(key, needs.once)) is not None
        earnings = messages.load_earnings(
            state.get(key),
            frozenset({needs.event_id}) if seen and needs.event_id else frozenset(),
            order,
            frozenset({needs.once}) if paid and needs.once else frozenset(),
        )
        hours = messages.load_shop(state.get(messages.shop_key(shop_id))) if context.counts_hours else NO_HOURS
        return decider.State(earnings, hours)

    @staticmethod
    def store(
        key: bytes,
        shop_id: str,
        command: Command,
        decided: tuple[decider.State, decider.State],
        context: decider.Context,
        state: StateView,
    ) -> None:
        """The state a decision leaves (before, after); each record kept for its window (`services.earn.retention`)."""
        (before, after), windows, at = decided, context.windows, command.occurred_at
        earnings = after.earnings
        for event_id in earnings.seen_event_ids - before.earnings.seen_event_ids:
            expiry.put(state, messages.seen_key(key, event_id), b"1", millis(retention.seen_until(at, windows)))
        for once in earnings.task_refs - before.earnings.task_refs:
            task = command if isinstance(command, TaskCompleted) else None
            until = None if task is None else retention.task_ref_until(task, context.program, windows)
            if until is None:
                state.put(messages.task_ref_key(key, once), b"1")
            else:
                expiry.put(state, messages.task_ref_key(key, once), b"1", millis(until))
        for order_id in {*earnings.earned_orders, *earnings.awaiting_order}:
            order = messages.dump_order(order_id, earnings)
            expiry.put(state, messages.order_key(key, order_id), order, millis(retention.order_until(at, windows)))
        state.put(key, messages.dump_earnings(earnings))
        if context.counts_hours and after.hours is not before.hours:
            state.put(messages.shop_key(shop_id), messages.dump_shop(after.hours))


def windows_of(configured: Settings) -> Windows:
    return Windows(timedelta(days=configured.dedup_window_days), timedelta(days=configured.refund_window_days))


INPUTS = topics.inputs_of("earn")


def config(
    book: ProgramBook | None = None,
    partitions: int | None = None,
    batch_size: int = 500,
    before_batch: Callable[[], None] | None = None,
) -> ProcessorConfig:
    """Without a book, every shop earns by the default program (as the benchmarks do)."""
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
