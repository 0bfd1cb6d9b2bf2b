"""The tier service's stream processor: loyalty.ledger -> loyalty.tiers, exactly once.

For each ledger entry: advance the partition's stream time (the latest event time seen on it) and
evaluate every customer whose downgrade fell due by then, as of the moment it fell due; then fold
the entry into its customer's tier and evaluate at the entry's event time. The sweep runs inside
the step, so what it writes commits with the batch and the outcome depends on the log alone, not
on how it was batched. Rules come from the shop's program version in force at the evaluation time.

Each TierChanged is keyed by its own customer (a sweep emits for other customers of the partition).
Known gap: a partition with no new entries sweeps nobody: stream time stands still.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from prometheus_client import Counter

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.programs import ProgramBook, ProgramTable
from services.common.statestore import StateView
from services.common.timestamps import millis
from services.tier import domain, messages

log = logging.getLogger(__name__)

QUALIFYING = frozenset({"PointsEarned", "PointsClawedBack"})
"""Ledger records that move qualifying points; bought, transferred and spent points never do."""

TIER_CHANGES = Counter("pointstream_tier_changes_total", "Tier changes", ["shop", "from_tier", "to_tier"])


class Tiering:
    """The step: a ledger entry in, the TierChanged events it and the sweep make out."""

    def __init__(self, book: ProgramBook) -> None:
        self.book = book
        self._rules: dict[tuple[str, int], domain.TierRules] = {}

    def rules(self, shop_id: str, when: datetime) -> domain.TierRules:
        version, document = self.book.at(shop_id, when)
        if (rules := self._rules.get((shop_id, version))) is None:
            try:
                rules = domain.rules_from(document)
            except domain.InvalidTierRules as exc:
                log.error("shop %s program version %d: %s; the default tier rules apply", shop_id, version, exc)
                rules = domain.DEFAULT_RULES
            self._rules[(shop_id, version)] = rules
        return rules

    def __call__(self, key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
        if decoded.name not in QUALIFYING:  # debits, expiry, adjustments, transfers: only the clock moves
            return [self._output(change) for change in self._sweep(view, decoded.record["occurred_at"])]
        entry = messages.ledger_entry(decoded.name, decoded.record)
        if key != topics.customer_key(entry.shop_id, entry.customer_id):
            raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the entry")
        changes = self._sweep(view, entry.occurred_at)
        before = messages.load_state(view.get(key))
        try:
            state = domain.evolve(before, entry)
        except domain.ContractViolation as exc:
            raise Rejected(str(exc)) from exc
        if state is not before:
            command = domain.evaluation_after(entry, state)
            state, made = domain.evaluate(command, state, self.rules(entry.shop_id, command.now))
            changes += made
            changes += self._settle(view, entry.shop_id, entry.customer_id, before, state)
        return [self._output(change) for change in changes]

    def _sweep(self, view: StateView, occurred_at: datetime) -> list[domain.TierChanged]:
        """Advances stream time to `occurred_at` and evaluates whoever fell due on the way."""
        passed = messages.load_stream_time(view.get(messages.STREAM_TIME))
        if passed is not None and passed >= occurred_at:
            return []
        view.put(messages.STREAM_TIME, messages.dump_stream_time(occurred_at))
        if passed is None:
            return []
        now = millis(occurred_at)
        due = [
            item
            for day in range(messages.day_of(passed), messages.day_of(occurred_at) + 1)
            for item in messages.load_due(view.get(messages.due_key(day)))
            if item[0] <= now
        ]
        changes: list[domain.TierChanged] = []
        for _, shop_id, customer_id in sorted(due):
            key = topics.customer_key(shop_id, customer_id)
            state = messages.load_state(view.get(key))
            changes += self._settle(view, shop_id, customer_id, state, state)
        return changes

    def _settle(
        self, view: StateView, shop_id: str, customer_id: str, stored: domain.CustomerTier, state: domain.CustomerTier
    ) -> list[domain.TierChanged]:
        """Evaluates at each due moment stream time has passed, then stores the state and its due date."""
        stream_time = messages.load_stream_time(view.get(messages.STREAM_TIME))
        changes: list[domain.TierChanged] = []
        if stream_time is not None:
            state, changes = domain.settle(state, shop_id, customer_id, stream_time, partial(self.rules, shop_id))
        view.put(topics.customer_key(shop_id, customer_id), messages.dump_state(state))
        if stored.due != state.due:
            self._reschedule(view, (shop_id, customer_id), stored.due, state.due)
        return changes

    @staticmethod
    def _reschedule(view: StateView, customer: tuple[str, str], old: datetime | None, new: datetime | None) -> None:
        if old is not None:
            key = messages.due_key(messages.day_of(old))
            bucket = [item for item in messages.load_due(view.get(key)) if item != (millis(old), *customer)]
            view.put(key, messages.dump_due(bucket))
        if new is not None:
            key = messages.due_key(messages.day_of(new))
            view.put(key, messages.dump_due([*messages.load_due(view.get(key)), (millis(new), *customer)]))

    @staticmethod
    def _output(change: domain.TierChanged) -> Output:
        TIER_CHANGES.labels(change.shop_id, change.from_tier, change.to_tier).inc()
        key = topics.customer_key(change.shop_id, change.customer_id)
        return Output(topics.TIERS, "TierChanged", messages.tier_changed(change), key)


def config(table: ProgramTable, batch_size: int = 500) -> ProcessorConfig:
    return ProcessorConfig(
        service="tier",
        inputs=(topics.LEDGER,),
        changelog=topics.TIER_STATE,
        step=Tiering(table.book),
        batch_size=batch_size,
        before_batch=table.refresh,
    )
