"""The earn service's stream processor: orders, tasks, profiles and tiers in; ledger entries out, exactly once.

Bytes and keys only: decode the input, load the part of the customer's state it needs and the shop's
program, call the decider (`services.earn.decider`), store the state it leaves, encode the ledger entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook
from services.common.statestore import StateView
from services.earn import decider, messages
from services.earn.earnings import NO_HOURS
from services.earn.metrics import Observed
from services.earn.validation import ContractViolation


@dataclass
class Earn:
    """Bytes and keys around the earn decider: decode, load what the input needs, decide, store, encode."""

    programs: ProgramBook
    partitions: int
    observed: Observed = field(default_factory=Observed)

    def step(self, key: bytes, decoded: Decoded, state: StateView) -> list[Output]:
        record = decoded.record
        if key != topics.customer_key(record["shop_id"], record["customer_id"]):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the event")
        command = messages.command(decoded.name, record)
        context = decider.context(self.programs.at(record["shop_id"], record["occurred_at"]), self.partitions)
        needs = decider.needs(command, context)
        before = self.load(key, record["shop_id"], needs, context, state)
        try:
            after, events = decider.handle(command, before, context)
        except ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        if events:
            self.store(key, record["shop_id"], before, after, context, state)
        self.observed.observe(events)
        return messages.outputs(events)

    @staticmethod
    def load(
        key: bytes, shop_id: str, needs: decider.Needs, context: decider.Context, state: StateView
    ) -> decider.State:
        """The customer's state as far as the input needs it, and the shop's hours if they are kept."""
        seen = needs.event_id is not None and state.get(messages.seen_key(key, needs.event_id)) is not None
        order = None if needs.order_id is None else (needs.order_id, state.get(messages.order_key(key, needs.order_id)))
        paid = needs.once is not None and state.get(messages.task_ref_key(key, needs.once)) is not None
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
        before: decider.State,
        after: decider.State,
        context: decider.Context,
        state: StateView,
    ) -> None:
        earnings = after.earnings
        for event_id in earnings.seen_event_ids - before.earnings.seen_event_ids:
            state.put(messages.seen_key(key, event_id), b"1")
        for once in earnings.task_refs - before.earnings.task_refs:
            state.put(messages.task_ref_key(key, once), b"1")
        for order_id in {*earnings.earned_orders, *earnings.awaiting_order}:
            state.put(messages.order_key(key, order_id), messages.dump_order(order_id, earnings))
        state.put(key, messages.dump_earnings(earnings))
        if context.counts_hours and after.hours is not before.hours:
            state.put(messages.shop_key(shop_id), messages.dump_shop(after.hours))


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
