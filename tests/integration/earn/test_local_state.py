"""Earn's state on local disk, on real Kafka: a restart reads only the changelog written since its
checkpoint, a restore killed midway goes on where it stopped, an instance added under traffic takes
some partitions, each with every input topic of that partition, while the first catches up on the others
from its checkpoints, and one restarted under its own id takes its partitions back with no rebalance.
Every run ends with the gate's verdict: no ledger entry twice, every balance exact."""

from __future__ import annotations

import ast
import json
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import TopicPartition

from services.common import kafka, topics
from services.common.settings import settings
from services.loadgen.traffic import orders
from tests.bench import harness
from tests.bench.expected import expected_balances
from tests.bench.gate import verdict
from tests.conftest import free_port
from tests.servers import wait_until

Inputs = list[tuple[bytes, dict[str, Any]]]


def started(log: Path, instance: str, **env: str) -> subprocess.Popen[bytes]:
    return harness.start("txn", str(log), LOG_LEVEL="INFO", INSTANCE_ID=instance, **env)


def publish(inputs: Inputs) -> None:
    harness.produce(harness.encoded(inputs), topics.ORDERS.name)


def caught_up() -> None:
    harness.wait_for_lag_zero(harness.group_of("txn"), topics.ORDERS.name, timeout_s=60)


def stopped(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(30)


def killed(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def messages(log: Path) -> list[str]:
    lines = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return [line["message"] for line in lines]


def restored(log: Path) -> int:
    """State records the process read from the changelog, by its log ("restored N state records ...")."""
    return sum(int(m.split()[1]) for m in messages(log) if m.startswith("restored "))


def restored_from(log: Path) -> dict[int, int]:
    """Where the process's first restore started in each partition ("... (from offsets {p: offset})")."""
    first = next(m for m in messages(log) if m.startswith("restored "))
    starts: dict[int, int] = ast.literal_eval(first.rpartition("from offsets ")[2].rstrip(")"))
    return starts


def changelog_ends() -> dict[int, int]:
    consumer = kafka.consumer(None)
    try:
        parts = [TopicPartition(topics.EARN_STATE.name, p) for p in range(settings().partitions)]
        return {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts}
    finally:
        consumer.close()


def changelog_records(starts: dict[int, int], ends: dict[int, int]) -> int:
    """Committed records of earn's changelog from `starts` to `ends` (what a restore between them reads)."""
    consumer = kafka.consumer(None)
    try:
        parts = [TopicPartition(topics.EARN_STATE.name, p, offset) for p, offset in starts.items()]
        consumer.assign(parts)
        count = 0
        while any(tp.offset < ends[tp.partition] for tp in consumer.position(parts)):
            batch = consumer.consume(1000, 0.5)
            count += sum(1 for m in batch if not m.error() and (m.offset() or 0) < ends[m.partition() or 0])
        return count
    finally:
        consumer.close()


def logged(log: Path, verb: str) -> list[list[str]]:
    """Each `assigned [topic[partition], ...]` (or `revoked [...]`) line of the log, in order."""
    lines = [m.removeprefix(f"{verb} ") for m in messages(log) if m.startswith(f"{verb} [")]
    return [json.loads(line.replace("'", '"')) for line in lines]


def assignments(log: Path) -> list[list[str]]:
    return logged(log, "assigned")


def by_partition(assigned: list[str]) -> dict[int, set[str]]:
    """topic[partition] names as {partition: its topics}."""
    found: dict[int, set[str]] = {}
    for name in assigned:
        topic, _, partition = name.rstrip("]").rpartition("[")
        found.setdefault(int(partition), set()).add(topic)
    return found


def restores(log: Path) -> list[int]:
    return [int(m.split()[1]) for m in messages(log) if m.startswith("restored ")]


def exact(inputs: Inputs, kills: int) -> dict[str, Any]:
    result = verdict("txn", len(inputs), kills, expected_balances(inputs), harness.read_all(topics.LEDGER.name))
    assert result["duplicated_entries"] == 0
    assert result["wrong_balances"] == 0, result["examples"]
    return result


def test_a_restart_after_a_sigkill_reads_only_the_changelog_another_instance_wrote_meanwhile(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    inputs = list(orders(8_400, seed=31, customers=3_000))
    first, second, third = inputs[:8_000], inputs[8_000:8_300], inputs[8_300:]
    with harness.isolated_topics("state-", 3):
        publish(first)
        a = started(tmp_path / "a1.log", "a")
        caught_up()
        killed(a)
        publish(second)
        b = started(tmp_path / "b.log", "b")  # no local state: the whole changelog
        caught_up()
        stopped(b)
        ends = changelog_ends()
        a = started(tmp_path / "a2.log", "a")  # its own state, and the tail b wrote
        publish(third)
        caught_up()
        stopped(a)
        exact(inputs, kills=1)
        starts = restored_from(tmp_path / "a2.log")
        written_by_b = changelog_records(starts, ends)
    whole, tail = restored(tmp_path / "b.log"), restored(tmp_path / "a2.log")
    assert all(offset > 0 for offset in starts.values()), starts
    assert tail == written_by_b > 0
    assert whole > 10 * tail, (whole, tail)


def filler(count: int) -> None:
    """Changelog records of customers nobody orders for: a restore long enough to interrupt."""
    producer, changelog = kafka.producer(), topics.EARN_STATE.name
    for n in range(count):
        kafka.produce(producer, changelog, b"x" * 100, b"filler:%d" % n, partition=n % settings().partitions)
        if n % 10_000 == 0:
            producer.poll(0)
    producer.flush(60)


def restoring(port: int, at_least: int = 1) -> bool:
    """Whether the process's metrics say a restore is under way and has read `at_least` records."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
    except httpx.HTTPError:
        return False
    values = {
        line.split("{")[0]: float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("pointstream_state_")
    }
    return (
        values.get("pointstream_state_restoring_partitions", 0) > 0
        and values.get("pointstream_state_restored_records_total", 0) >= at_least
    )


KILLED_AFTER = 50_000
"""Records the first restore has read when it is killed: several of its checkpointed chunks."""


def test_a_processor_killed_during_its_restore_goes_on_from_where_it_stopped_and_counts_exactly(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    inputs = list(orders(3_000, seed=37))
    first, later = inputs[:2_000], inputs[2_000:]
    with harness.isolated_topics("state-", 3):
        publish(first)
        a = started(tmp_path / "a.log", "a")
        caught_up()
        stopped(a)
        filler(300_000)
        port = free_port()
        b = started(tmp_path / "b1.log", "b", METRICS_PORT=str(port))
        deadline = time.monotonic() + 30
        while not restoring(port, at_least=KILLED_AFTER):
            assert time.monotonic() < deadline, "the restore never started"
            time.sleep(0.02)
        killed(b)
        b = started(tmp_path / "b2.log", "b")
        publish(later)
        caught_up()
        stopped(b)
        exact(inputs, kills=1)
    # What the first restore read is checkpointed as it goes: the second reads less by about that much.
    assert restored(tmp_path / "b2.log") < 300_000 - KILLED_AFTER // 2, "the second restore began again"


def test_an_instance_added_under_traffic_takes_whole_partitions_and_every_balance_stays_exact(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    inputs = list(orders(20_000, seed=41))
    inputs_per_partition = len(topics.inputs_of("earn"))
    with harness.isolated_topics("state-", 6):
        publisher = threading.Thread(target=harness.produce, args=(harness.encoded(inputs), topics.ORDERS.name, 2_500))
        publisher.start()
        a = started(tmp_path / "a.log", "a")
        wait_until(lambda: bool(assignments(tmp_path / "a.log")), "the first instance assigned its partitions", 30)
        time.sleep(2)
        b = started(tmp_path / "b.log", "b")
        publisher.join()
        caught_up()
        kept, taken = assignments(tmp_path / "a.log")[-1], assignments(tmp_path / "b.log")[-1]
        a_restores, b_restores = restores(tmp_path / "a.log"), restores(tmp_path / "b.log")
        stopped(b)
        stopped(a)
        exact(inputs, kills=0)
    kept_partitions, taken_partitions = by_partition(kept), by_partition(taken)
    assert kept_partitions, "the first instance kept some partitions"
    assert taken_partitions, "the new instance took some"
    assert not kept_partitions.keys() & taken_partitions.keys()
    for topics_of_partition in (*kept_partitions.values(), *taken_partitions.values()):
        assert len(topics_of_partition) == inputs_per_partition, "partition p of every input on one instance"
    assert sum(a_restores[1:]) < 50, a_restores  # what it kept caught up from its checkpoints
    assert sum(b_restores) > 1_000, b_restores  # what it took, it had never had


def test_an_instance_restarted_under_its_own_id_takes_its_partitions_back_without_a_rebalance(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    inputs = list(orders(6_000, seed=43))
    first, second = inputs[:3_000], inputs[3_000:]
    with harness.isolated_topics("static-", 6):
        publish(first)
        a, b = started(tmp_path / "a1.log", "a"), started(tmp_path / "b.log", "b")
        try:
            in_a, in_b = tmp_path / "a1.log", tmp_path / "b.log"
            wait_until(lambda: shared(owned_now(in_a), owned_now(in_b)), "the two instances sharing the partitions", 60)
            caught_up()
            owned, rebalances = assignments(tmp_path / "a1.log")[-1], len(assignments(tmp_path / "b.log"))
            killed(a)
            a = started(tmp_path / "a2.log", "a")
            publish(second)
            caught_up()
            back, b_after = assignments(tmp_path / "a2.log"), assignments(tmp_path / "b.log")
        finally:
            stopped(a)
            stopped(b)
        exact(inputs, kills=1)
    assert back == [owned], "the restarted instance was given back exactly what it had"
    assert len(b_after) == rebalances, "the other instance never rebalanced (eager: it would be assigned again)"


def shared(a: set[int], b: set[int]) -> bool:
    return bool(a) and bool(b) and not a & b and len(a | b) == 6


def owned_now(log: Path) -> set[int]:
    return {p for assigned in assignments(log)[-1:] for p in by_partition(assigned)}
