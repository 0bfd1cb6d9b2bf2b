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
from services.tier import domain, messages

QUALIFYING = frozenset({"PointsEarned", "PointsClawedBack"})
"""Ledger records that move qualifying points; bought, transferred and spent points never do."""

TIER_CHANGES = Counter("pointstream_tier_changes_total", "Tier changes", ["shop", "from_tier", "to_tier"])
DOWNGRADES = Schedule(b"\x00tier\x00downgrade")
SWEEP_LIMIT = 1000


class Tiering:
    """The step: a ledger entry in, the TierChanged events it and the sweep make out."""

    def __init__(self, book: ProgramBook, future_tolerance: timedelta | None = None) -> None:
        self.book = book
        self._rules: dict[tuple[str, int], domain.TierRules] = {}
        self.future_tolerance = future_tolerance or timedelta(seconds=settings().future_tolerance_seconds)

    def rules(self, shop_id: str, when: datetime) -> domain.TierRules:
        program = self.book.at(shop_id, when)
        if (rules := self._rules.get((shop_id, program.version))) is None:
            rules = self._rules[(shop_id, program.version)] = domain.TierRules.of(program)
        return rules

    def __call__(self, key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
        clock = no_later_than(decoded.record["occurred_at"], decoded.logged_at, self.future_tolerance)
        if decoded.name not in QUALIFYING:  # debits, expiry, adjustments, transfers: only the clock moves
            return [self._output(change) for change in self._sweep(view, clock)]
        entry = messages.ledger_entry(decoded.name, decoded.record)
        if key != topics.customer_key(entry.shop_id, entry.customer_id):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the entry")
        changes = self._sweep(view, clock)
        before = messages.load_state(view.get(key))
        try:
            state = domain.evolve(before, entry)
        except domain.ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        if state is not before:
            command = domain.evaluation_after(entry, state)
            state, made = domain.evaluate(command, state, self.rules(entry.shop_id, command.now))
            changes += made
            changes += self._evaluate_due(view, entry.shop_id, entry.customer_id, before, state)
        return [self._output(change) for change in changes]

    def _sweep(self, view: StateView, occurred_at: datetime) -> list[domain.TierChanged]:
        """Advances stream time to `occurred_at` and evaluates whoever fell due on the way."""
        passed = messages.load_stream_time(view.get(messages.STREAM_TIME))
        if passed is None or passed < occurred_at:
            view.put(messages.STREAM_TIME, messages.dump_stream_time(occurred_at))
        if passed is None:
            return []
        now = max(passed, occurred_at)
        due = self._legacy_due(view, passed, now) + DOWNGRADES.due(view, now, SWEEP_LIMIT)
        states = {c: messages.load_state(view.get(topics.customer_key(*c))) for c in set(due)}
        changes: list[domain.TierChanged] = []
        for (shop_id, customer_id), state in sorted(states.items(), key=in_order_of_falling_due):
            changes += self._evaluate_due(view, shop_id, customer_id, state, state)
        return changes

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

    def _evaluate_due(
        self, view: StateView, shop_id: str, customer_id: str, stored: domain.CustomerTier, state: domain.CustomerTier
    ) -> list[domain.TierChanged]:
        """Evaluates at each due moment stream time has passed, then stores the state and its due date."""
        stream_time = messages.load_stream_time(view.get(messages.STREAM_TIME))
        changes: list[domain.TierChanged] = []
        if stream_time is not None:
            state, changes = domain.evaluate_due(state, shop_id, customer_id, stream_time, partial(self.rules, shop_id))
        view.put(topics.customer_key(shop_id, customer_id), messages.dump_state(state))
        if stored.due != state.due or not DOWNGRADES.listed(view, (shop_id, customer_id)):
            DOWNGRADES.put(view, (shop_id, customer_id), state.due)
        return changes

    @staticmethod
    def _output(change: domain.TierChanged) -> Output:
        TIER_CHANGES.labels(change.shop_id, change.from_tier, change.to_tier).inc()
        key = topics.customer_key(change.shop_id, change.customer_id)
        return Output(topics.TIERS, "TierChanged", messages.tier_changed(change), key)


def in_order_of_falling_due(item: tuple[tuple[str, str], domain.CustomerTier]) -> tuple[int, tuple[str, str]]:
    customer, state = item
    return (millis(state.due) if state.due is not None else 0, customer)


def config(table: ProgramTable, batch_size: int = 500) -> ProcessorConfig:
    return ProcessorConfig(
        service="tier",
        inputs=topics.inputs_of("tier"),
        changelog=topics.TIER_STATE,
        step=Tiering(table.book),
        batch_size=batch_size,
        before_batch=table.refresh,
    )
