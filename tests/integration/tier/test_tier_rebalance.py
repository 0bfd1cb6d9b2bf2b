"""Tier reads one topic and rebalances incrementally: an instance added mid-stream takes some partitions,
the first keeps the others without a pause, and every tier change is still emitted exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.earn.test_local_state import assignments, by_partition, logged
from tests.integration.tier.test_tier_processor import (
    canonical,
    published_busy_ledger,
    tier_changes,
    wait_for_processed,
)


def started(log: Path, instance: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"LOG_LEVEL": "INFO", "INSTANCE_ID": instance, "BATCH_SIZE": "20", "METRICS_PORT": "0"}
    out = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "services.tier"], env=env, stdout=out, stderr=subprocess.STDOUT)


def revoked(log: Path) -> set[int]:
    return {p for names in logged(log, "revoked") for p in by_partition(names)}


def test_a_tier_instance_added_mid_stream_takes_some_partitions_and_every_change_is_emitted_once(
    namespace: str, tmp_path: Path
) -> None:
    log, expected = published_busy_ledger(seed=13)
    first = started(tmp_path / "a.log", "a")
    second = None
    try:
        wait_for_processed(len(log) // 4)
        second = started(tmp_path / "b.log", "b")
        deadline = time.monotonic() + 30
        while not assignments(tmp_path / "b.log"):
            assert time.monotonic() < deadline, "the second instance never got a partition"
            time.sleep(0.2)
        wait_for_processed(len(log), timeout_s=120)
        moved, taken = revoked(tmp_path / "a.log"), assignments(tmp_path / "b.log")
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.terminate()
                proc.wait(30)
    assert canonical(tier_changes()) == canonical(expected)
    assert 0 < len(moved) < 3, f"an incremental rebalance moves only some partitions: {moved}"
    assert {p for assigned in taken for p in by_partition(assigned)} == moved
