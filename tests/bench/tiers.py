"""The tier service over a backlog of ledger entries: entries per second, beside the ceiling.

The entries are what earn makes of the benchmark's orders (folded through the earn decider in
memory), so the tier service sees a realistic ledger: skewed customers, upgrades, clawback-free.
"""

from __future__ import annotations

import sys
from typing import Any

from services.common import topics
from services.common.codec import Codec
from services.common.settings import settings
from services.earn import decider, messages
from services.earn.validation import ContractViolation
from services.program import Program
from tests.bench import harness, instances, meter


def ledger_of(events: list[tuple[bytes, dict[str, Any]]]) -> list[tuple[bytes, bytes]]:
    codec, context = Codec(), decider.Context(Program())
    states: dict[bytes, decider.State] = {}
    out = []
    for key, record in events:
        try:
            states[key], decided = decider.handle(
                messages.order_paid(record), states.get(key, decider.initial_state), context
            )
        except ContractViolation:
            continue
        out += [(key, codec.encode(o.name, o.record)) for o in messages.outputs(decided)]
    return out


def rate(entries: list[tuple[bytes, bytes]], partitions: int, instance_count: int = 1) -> dict[str, Any]:
    """Entries/s and CPU µs per entry from the first committed offset to no lag: the start-up is not counted.
    With `instance_count`, that many tier instances share the partitions, their CPU summed."""
    with harness.isolated_topics("bench-tier-", partitions):
        harness.produce(entries, topics.LEDGER.name)
        group = settings().topic_namespace + "tier"
        command = [sys.executable, "-m", "services.tier"]
        with instances.running(command, ".local/logs/bench-tier.log", instance_count) as running:
            progress = meter.consumed(group, topics.LEDGER.name, len(entries))
            progress = instances.once_shared(progress, group, instance_count)
            tier = meter.Meter("tier", running.pids, progress, len(entries))
            meter.watch([tier])
        changes = len(harness.read_all(topics.TIERS.name))
    measured = tier.figures()
    return {
        "entries": len(entries),
        "tier_changes": changes,
        "seconds": measured["measured_seconds"],
        "entries_per_s": measured["measured_work"] / measured["measured_seconds"],
        "cpu_us_per_event": measured["cpu_us_per_event"],
    }
