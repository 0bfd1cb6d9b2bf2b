"""The tier service's stream processor: loyalty.ledger -> loyalty.tiers, exactly once.

For each ledger entry: advance the partition's stream time (the latest event time seen on it) and
evaluate the customers whose downgrade fell due by then (up to SWEEP_LIMIT per entry; the rest at the
next), as of the moment it fell due; then fold the entry into its customer's tier and evaluate at the
entry's event time. The sweep runs inside the step, so what it writes commits with the batch and the
outcome depends on the log alone, not on how it was batched. Rules come from the shop's program
version in force at the evaluation time.

One shop's entry dated far ahead must not move every shop's clock on the partition (and downgrade
their customers early): an event time counts at most FUTURE_TOLERANCE_SECONDS past the time the
ledger record was logged, which a replay sees unchanged. Who is due when is kept in
`services.common.schedule`, whose records never grow with the number of customers; the per-day
buckets of earlier versions are read as stream time passes their day, then deleted.

Each TierChanged is keyed by its own customer (a sweep emits for other customers of the partition).
Known gap: a partition with no new entries sweeps nobody: stream time stands still.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from prometheus_client import Counter

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook, ProgramTable
from services.common.schedule import Schedule
from services.common.settings import settings
from services.common.statestore import StateView
from services.common.timestamps import millis, moment, no_later_than
from services.records import TierChanged
from services.tier import decider, messages
from services.tier.domain import ContractViolation, CustomerTier
from services.tier.ladder import TierRules

TIER_CHANGES = Counter("pointstream_tier_changes_total", "Tier changes", ["shop", "from_tier", "to_tier"])
DOWNGRADES = Schedule(b"\x00tier\x00downgrade")
SWEEP_LIMIT = 1000


class Tiering:
    """The step: a ledger entry in, the TierChanged events it and the sweep make out."""

    def __init__(self, book: ProgramBook, future_tolerance: timedelta | None = None) -> None:
        self.book = book
        self._rules: dict[tuple[str, int], TierRules] = {}
        self.future_tolerance = future_tolerance or timedelta(seconds=settings().future_tolerance_seconds)

    def rules(self, shop_id: str, when: datetime) -> TierRules:
        program = self.book.at(shop_id, when)
        if (rules := self._rules.get((shop_id, program.version))) is None:
            rules = self._rules[(shop_id, program.version)] = TierRules.of(program)
        return rules

    def __call__(self, key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
        clock = no_later_than(decoded.record["occurred_at"], decoded.logged_at, self.future_tolerance)
        stream_time, changes = self._sweep(view, clock)
        entry = messages.ledger_entry(decoded.name, decoded.record)
        if entry is None:  # debits, expiry, adjustments, transfers: only the clock moves
            return [self._output(change) for change in changes]
        if key != topics.customer_key(entry.shop_id, entry.customer_id):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the entry")
        changes += self._decide(view, entry.shop_id, entry.customer_id, decider.EntryLogged(entry, stream_time))
        return [self._output(change) for change in changes]

    def _decide(
        self,
        view: StateView,
        shop_id: str,
        customer_id: str,
        command: decider.Command,
        before: CustomerTier | None = None,
    ) -> list[TierChanged]:
        """Loads the customer's state (unless given), decides, and stores the state and its due date if the decision
        made one."""
        if before is None:
            before = messages.load_state(view.get(topics.customer_key(shop_id, customer_id)))
        try:
            after, events = decider.handle(command, before, decider.Context(partial(self.rules, shop_id)))
        except ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        if events:
            self._store(view, shop_id, customer_id, before, after)
        return decider.changes(events)

    def _sweep(self, view: StateView, clock: datetime) -> tuple[datetime, list[TierChanged]]:
        """Advances stream time to `clock` and evaluates whoever fell due on the way; the stream time after."""
        passed = messages.load_stream_time(view.get(messages.STREAM_TIME))
        now = decider.stream_time_after(passed, clock)
        if now != passed:
            view.put(messages.STREAM_TIME, messages.dump_stream_time(now))
        if passed is None:
            return now, []
        due = self._legacy_due(view, passed, now) + DOWNGRADES.due(view, now, SWEEP_LIMIT)
        states = {c: messages.load_state(view.get(topics.customer_key(*c))) for c in set(due)}
        changes: list[TierChanged] = []
        for (shop_id, customer_id), state in decider.sweep_order(states.items()):
            due_now = decider.DowngradesDue(shop_id, customer_id, now)
            changes += self._decide(view, shop_id, customer_id, due_now, state)
        return now, changes

    @staticmethod
    def _legacy_due(view: StateView, passed: datetime, now: datetime) -> list[tuple[str, str]]:
        """Customers of the per-day buckets of earlier versions that stream time passed: due ones to evaluate,
        the others moved into the schedule; the buckets are deleted."""
        due = []
        for day in range(messages.day_of(passed), messages.day_of(now) + 1):
            if (bucket := view.get(messages.due_key(day))) is None:
                continue
            for at, shop_id, customer_id in messages.load_due(bucket):
                if at <= millis(now):
                    due.append((shop_id, customer_id))
                elif not DOWNGRADES.listed(view, (shop_id, customer_id)):
                    DOWNGRADES.put(view, (shop_id, customer_id), moment(at))
            view.delete(messages.due_key(day))
        return due

    @staticmethod
    def _store(view: StateView, shop_id: str, customer_id: str, stored: CustomerTier, state: CustomerTier) -> None:
        view.put(topics.customer_key(shop_id, customer_id), messages.dump_state(state))
        if stored.due != state.due or not DOWNGRADES.listed(view, (shop_id, customer_id)):
            DOWNGRADES.put(view, (shop_id, customer_id), state.due)

    @staticmethod
    def _output(change: TierChanged) -> Output:
        TIER_CHANGES.labels(change.shop_id, change.from_tier, change.to_tier).inc()
        key = topics.customer_key(change.shop_id, change.customer_id)
        return Output(topics.TIERS, "TierChanged", messages.tier_changed(change), key)


def config(table: ProgramTable, batch_size: int = 500) -> ProcessorConfig:
    return ProcessorConfig(
        service="tier",
        inputs=topics.inputs_of("tier"),
        changelog=topics.TIER_STATE,
        step=Tiering(table.book),
        batch_size=batch_size,
        before_batch=table.refresh,
    )
