"""CPU per event of a service process over the work it did, startup excluded.

A meter polls how much of a backlog a process has done (its committed input offsets, or rows in the read
model) and reads the process's CPU at two moments: the first poll that sees any work done and the poll
that sees all of it. Startup, state restore and the group join come before the first: the CPU between
the two marks, over the work done between them, is what handling an event costs. Both marks are taken
in the same poll, so CPU and work are counted over the same interval. For several instances of a service
sharing a backlog, their CPU is summed at each mark (`instances.once_shared` holds the first mark back
until every instance holds partitions).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from services.common import kafka
from services.common.settings import settings
from tests.bench import figures, harness, procstat


@dataclass(frozen=True)
class Mark:
    at: float
    done: int
    cpu_s: float


@dataclass
class Meter:
    """`progress()` is the work the process `pid` has done of `total` (events, entries, rows); with several
    pids, the work the instances of one service share, and their CPU summed."""

    name: str
    pid: int | tuple[int, ...]
    progress: Callable[[], int]
    total: int
    first: Mark | None = None
    last: Mark | None = None

    def poll(self) -> None:
        if self.finished:
            return
        if (done := self.progress()) <= 0:
            return
        pids = (self.pid,) if isinstance(self.pid, int) else self.pid
        mark = Mark(time.monotonic(), done, sum(procstat.cpu_seconds(pid) for pid in pids))
        if self.first is None:
            self.first = mark
        if done >= self.total:
            self.last = mark

    @property
    def finished(self) -> bool:
        return self.last is not None

    def figures(self) -> dict[str, Any]:
        """Work, seconds and CPU between the two marks, the work per second and the CPU per unit of work in µs."""
        if self.first is None or self.last is None:
            raise RuntimeError(f"{self.name} did not finish its work")
        work, cpu = self.last.done - self.first.done, self.last.cpu_s - self.first.cpu_s
        seconds = self.last.at - self.first.at
        return {
            "measured_work": work,
            "measured_seconds": seconds,
            "work_per_s": work / seconds if seconds > 0 else math.nan,
            "cpu_s": cpu,
            "cpu_us_per_event": figures.per_event_us(cpu, work),
        }


def watch(meters: list[Meter], timeout_s: float = 900, poll_s: float = 0.1) -> None:
    """Polls every meter until each has seen all its work."""
    deadline = time.monotonic() + timeout_s
    while not all(m.finished for m in meters):
        for meter in meters:
            meter.poll()
        if time.monotonic() > deadline:
            late = {m.name: m.progress() for m in meters if not m.finished}
            raise TimeoutError(f"not done in {timeout_s} s: {late}")
        time.sleep(poll_s)


def consumed(group: str, topic: str, total: int) -> Callable[[], int]:
    """Progress as the records of a backlog of `total` on `topic` the group has committed past. One consumer,
    kept for the run's polls (it reads the group's offsets without joining it): a new client at every poll
    would cost the machine more than the poll measures."""
    consumer = kafka.consumer(group)
    parts = [TopicPartition(topic, p) for p in range(settings().partitions)]
    ends: dict[int, int] = {}

    def progress() -> int:
        if len(ends) < len(parts):  # the backlog is produced before the meter starts: its ends stay put
            ends.update({tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts})
        try:
            offsets = consumer.committed(parts, timeout=10)
        except KafkaException as exc:
            if exc.args[0].code() in harness.COORDINATOR_NOT_READY or exc.args[0].retriable():
                return 0
            raise
        lag = sum(ends[tp.partition] - max(tp.offset, 0) for tp in offsets)
        if lag <= 0:
            consumer.close()
        return total - lag

    return progress
