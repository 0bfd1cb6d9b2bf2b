"""The tier service over a backlog of ledger entries: entries per second, beside the ceiling.

The entries are what earn makes of the benchmark's orders (folded through the earn decider in
memory), so the tier service sees a realistic ledger: skewed customers, upgrades, clawback-free.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from services.common import topics
from services.common.codec import Codec
from services.common.settings import settings
from services.earn import decider, messages
from services.earn.validation import ContractViolation
from services.program import Program
from tests.bench import harness, meter


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


def rate(entries: list[tuple[bytes, bytes]], partitions: int) -> dict[str, Any]:
    """Entries/s and CPU µs per entry from the first committed offset to no lag: the start-up is not counted."""
    with harness.isolated_topics("bench-tier-", partitions):
        harness.produce(entries, topics.LEDGER.name)
        group = settings().topic_namespace + "tier"
        log = open(".local/logs/bench-tier.log", "ab")  # noqa: SIM115 - owned by the child process
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.tier"],
            env=os.environ | {"LOG_LEVEL": "WARNING", "METRICS_PORT": "0"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        tier = meter.Meter("tier", proc.pid, meter.consumed(group, topics.LEDGER.name, len(entries)), len(entries))
        try:
            meter.watch([tier])
        finally:
            proc.terminate()
            proc.wait(30)
        changes = len(harness.read_all(topics.TIERS.name))
    measured = tier.figures()
    return {
        "entries": len(entries),
        "tier_changes": changes,
        "seconds": measured["measured_seconds"],
        "entries_per_s": measured["measured_work"] / measured["measured_seconds"],
        "cpu_us_per_event": measured["cpu_us_per_event"],
    }
