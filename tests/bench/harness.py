"""Shared by the gate and the benchmark: isolated topics, producing input, reading the ledger."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from services.common import admin, kafka
from services.common.codec import Codec
from services.common.settings import settings
from tests import namespaces

RUNTIMES = {
    "txn": [sys.executable, "-m", "services.earn"],
    "faust": [sys.executable, "-m", "tests.bench.faust_earn"],
}
GROUPS = {"txn": "earn", "faust": "earn-faust"}


def group_of(runtime: str) -> str:
    return settings().topic_namespace + GROUPS[runtime]


@contextmanager
def isolated_topics(label: str, partitions: int) -> Iterator[str]:
    """Topics of their own, and a state directory of their own for the processors started meanwhile."""
    prefix = f"{label}{uuid.uuid4().hex[:8]}."
    state = tempfile.mkdtemp(prefix=f"{prefix}state-")
    os.environ |= {"TOPIC_NAMESPACE": prefix, "PARTITIONS": str(partitions), "STATE_DIR": state}
    settings.cache_clear()
    admin.create_topics(partitions)
    try:
        yield prefix
    finally:
        namespaces.delete_namespace(prefix)
        shutil.rmtree(state, ignore_errors=True)
        os.environ.pop("TOPIC_NAMESPACE")
        os.environ.pop("STATE_DIR")
        settings.cache_clear()


def encoded(events: Iterable[tuple[bytes, dict[str, Any]]], name: str = "OrderPaid") -> list[tuple[bytes, bytes]]:
    codec = Codec()
    return [(key, codec.encode(name, record)) for key, record in events]


def produce(messages: Iterable[tuple[bytes, bytes]], topic: str, rate: float = 0.0) -> float:
    """Produces (key, value) pairs, paced at `rate` per second if given; returns seconds taken."""
    producer = kafka.producer()
    started = time.perf_counter()
    for i, (key, value) in enumerate(messages):
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
        if rate:  # each record on its own schedule: a steady rate, not bursts (latency is measured per record)
            ahead = i / rate - (time.perf_counter() - started)
            if ahead > 0.0005:
                time.sleep(ahead)
    producer.flush(60)
    return time.perf_counter() - started


def start(runtime: str, log_path: str, **env: str) -> subprocess.Popen[bytes]:
    return spawn(RUNTIMES[runtime], log_path, **env)


def spawn(command: list[str], log_path: str, **env: str) -> subprocess.Popen[bytes]:
    """A service process logging to `log_path`, with `env` over this process's environment (no metrics port)."""
    environment = os.environ | {"LOG_LEVEL": "WARNING", "METRICS_PORT": "0"} | env
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the child process
    return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


COORDINATOR_NOT_READY = {
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError._TIMED_OUT,
}


def committed(group: str, topic: str, attempts: int = 30) -> list[TopicPartition]:
    """The group's committed offsets; retried while a fresh broker is still electing coordinators."""
    consumer = kafka.consumer(group)
    try:
        parts = [TopicPartition(topic, p) for p in range(settings().partitions)]
        for attempt in range(attempts):
            try:
                return list(consumer.committed(parts, timeout=10))
            except KafkaException as exc:
                error = exc.args[0]
                if not (error.retriable() or error.code() in COORDINATOR_NOT_READY) or attempt == attempts - 1:
                    raise
                time.sleep(0.5)
        raise AssertionError("unreachable")
    finally:
        consumer.close()


def group_lag(group: str, topic: str) -> int:
    offsets = committed(group, topic)
    consumer = kafka.consumer(None)
    try:
        return sum(consumer.get_watermark_offsets(tp, timeout=10)[1] - max(tp.offset, 0) for tp in offsets)
    finally:
        consumer.close()


def settled_lag(group: str, topic: str) -> int:
    """Records `group` has yet to read on a topic written in transactions. Each transaction ends with
    a commit marker that takes an offset no consumer commits past: it is not counted."""
    consumer = kafka.consumer(None)
    try:
        behind = 0
        for tp in committed(group, topic):
            end = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)[1]
            behind += max(end - max(tp.offset, 0) - (1 if end else 0), 0)
        return behind
    finally:
        consumer.close()


def wait_for_lag_zero(group: str, topic: str, timeout_s: float) -> float:
    deadline = time.monotonic() + timeout_s
    while (lag := group_lag(group, topic)) > 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"group {group} still {lag} records behind on {topic}")
        time.sleep(0.5)
    return time.monotonic()


def read_all(topic: str) -> list[tuple[bytes, dict[str, Any], int]]:
    """Every committed record of `topic` as (key, decoded record, timestamp ms)."""
    codec = Codec()
    consumer: Consumer = kafka.consumer(None)
    parts = [TopicPartition(topic, p, 0) for p in range(settings().partitions)]
    ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts}
    consumer.assign(parts)
    out: list[tuple[bytes, dict[str, Any], int]] = []
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 3:
        batch = consumer.consume(5000, 0.2)
        for msg in batch:
            if not msg.error():
                out.append((msg.key() or b"", codec.decode(msg.value()).record, msg.timestamp()[1]))
        positions = consumer.position(parts)
        if all(tp.offset >= ends[tp.partition] for tp in positions):
            break
        if batch:
            idle_since = time.monotonic()
    consumer.close()
    return out
