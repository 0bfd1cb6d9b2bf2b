"""Per-customer state on local disk (RocksDB, `localstate`), backed by a compacted changelog topic.

The processor writes each changed state to the changelog partition of the input partition in
the same Kafka transaction as its output and consumed offsets, so after a crash the store is
restored to exactly the committed state (the Kafka Streams model, without the framework). Only
then, once the commit is acknowledged, is the batch written to local disk, with the changelog offset
it reaches (its checkpoint): local state is never ahead of the committed changelog.

On assignment a partition restores the changelog from its checkpoint to the high watermark: after a
restart only the tail another instance (or a batch committed just before a crash) wrote since. A
partition without local state, with a checkpoint past the changelog's end (the topic was recreated)
or older than the changelog's delete.retention.ms (compaction may have removed a tombstone the local
state never saw) restores from the start. A restore writes its progress as it goes, each step with
its checkpoint, so an interrupted restore goes on where it stopped; it has no time limit.

A restore reads every record below the partition's high watermark, and a record is read only once
its transaction is decided (read_committed): the store is never built from part of the log. A
broker that restarts can complete a transaction without writing its marker to a partition it does
not yet know the leader of (Kafka skips such a partition as deleted), leaving the records there
undecided until the same producer writes another marker to it. While a partition's undecided records
hold a restore for `UNDECIDED_SETTLE_S`, the store asks `settle` (the processor's transaction) for that
marker: the records of this processor's transactional id in it are then committed, as the next commit
of its outputs would commit theirs, so state and outputs agree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

from services.common import metrics
from services.common.localstate import Checkpoint, LocalPartition, Memory

log = logging.getLogger(__name__)
UNDECIDED_SETTLE_S = 5.0
PROGRESS_LOG_S = 10.0
RESTORE_BATCH = 5000
"""Changelog records a restore reads, and writes with their checkpoint, at a time."""
RESTORE_READER = {"queued.max.messages.kbytes": 8192, "queued.min.messages": 10_000}
"""What a restore keeps prefetched: at most 8 MiB per partition, not librdkafka's default of 64 MiB."""
DELETE_RETENTION_MS = 86_400_000
"""Kafka's default delete.retention.ms, for a store told nothing else."""
NOTHING_YET = Checkpoint(0, 0)
Changes = Mapping[tuple[int, bytes], bytes | None]


def now_ms() -> int:
    return int(time.time() * 1000)


class StateStore:
    def __init__(
        self,
        changelog: str,
        consumer: Consumer,
        directory: Path,
        ends: Consumer | None = None,
        settle: Callable[[list[int]], None] = lambda _: None,
        memory: Memory | None = None,
        delete_retention_ms: Callable[[], int] = lambda: DELETE_RETENTION_MS,
        changelog_id: Callable[[], int] = lambda: 0,
        service: str = "",
    ) -> None:
        """`consumer` reads the changelog (read_committed); `ends` (read_uncommitted) tells how far it goes;
        `directory` holds one RocksDB per partition (it belongs to this process alone)."""
        self.changelog, self.directory, self.service = changelog, directory, service
        self._restore = consumer
        self._ends = ends or consumer
        self.settle = settle
        self._memory = memory or Memory(64)
        self._delete_retention_ms, self._changelog_id = delete_retention_ms, changelog_id
        self._retention_ms: int | None = None
        self._id: int | None = None
        self._partitions: dict[int, LocalPartition] = {}
        self._parked: dict[int, LocalPartition] = {}
        """Partitions given back, still open: one assigned again catches up from its checkpoint without
        reopening its database (an eager rebalance gives back and assigns again every partition)."""

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self._partitions[partition].get(key)

    def items(self, partition: int, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        """The partition's keys from `start` (inclusive) to `stop` (exclusive) in byte order, with their values."""
        return self._partitions[partition].items(start, stop)

    def put_all(self, changes: Changes, checkpoints: Mapping[int, Checkpoint] | None = None) -> None:
        """Applies a committed batch (None deletes the key: a tombstone in the changelog), each partition's
        changes in one atomic write with its checkpoint, if the batch reached one."""
        checkpoints = {p: replace(c, changelog_id=self._topic_id()) for p, c in (checkpoints or {}).items()}
        by_partition: dict[int, dict[bytes, bytes | None]] = {p: {} for p in checkpoints}
        for (partition, key), value in changes.items():
            by_partition.setdefault(partition, {})[key] = value
        for partition, written in by_partition.items():
            self._partitions[partition].write(written, checkpoints.get(partition))

    def drop(self, partitions: list[int]) -> None:
        """Gives the partitions back: no longer read or written, their state stays for when they come back."""
        for p in partitions:
            if (local := self._partitions.pop(p, None)) is not None:
                self._parked[p] = local

    def close(self) -> None:
        self.drop(list(self._partitions))
        for local in self._parked.values():
            local.close()
        self._parked = {}

    def restore(self, partitions: list[int]) -> int:
        """Reads the committed changelog of `partitions` from their checkpoints to its end; returns records read."""
        if not partitions:
            return 0
        started, measured_ms = time.monotonic(), now_ms()  # every record past an end is written after this
        ends = {p: self._end_offset(p) for p in partitions}
        starts = {p: self._start(p, ends[p], measured_ms) for p in partitions}
        pending = {p for p in partitions if starts[p].offset < ends[p]}
        restoring = metrics.RESTORING_PARTITIONS.labels(self.service)
        restoring.inc(len(pending))
        try:
            reached, count = self._replay(pending, starts, ends) if pending else ({}, 0)
        finally:
            restoring.dec(len(pending))
        for p in partitions:
            reached_p = max(reached.get(p, 0), starts[p].offset)
            self._partitions[p].write({}, Checkpoint(reached_p, measured_ms, self._topic_id()))
        log.info("restored %d state records for partitions %s in %.2fs (from offsets %s)", count, partitions,
                 time.monotonic() - started, {p: starts[p].offset for p in partitions})  # fmt: skip
        return count

    def _start(self, partition: int, end: int, measured_ms: int) -> Checkpoint:
        """Where the partition's restore starts: its checkpoint, or the changelog's start (its state wiped)."""
        if (local := self._partitions.get(partition) or self._parked.pop(partition, None)) is None:
            local = LocalPartition(self.directory / f"{self.changelog}-{partition}", self._memory)
        self._partitions[partition] = local
        checkpoint = local.checkpoint()
        if checkpoint is None:
            local.wipe()
            return NOTHING_YET
        if checkpoint.changelog_id and self._topic_id() and checkpoint.changelog_id != self._topic_id():
            reason = "another_topic"
        elif checkpoint.offset > end:
            reason = "beyond_end"
        elif measured_ms - checkpoint.since_ms >= self._retention():
            reason = "expired"
        else:
            return checkpoint
        log.warning("changelog %s[%d]: the local checkpoint %s is %s (changelog end %d); restoring from the start",
                    self.changelog, partition, checkpoint, reason.replace("_", " "), end)  # fmt: skip
        metrics.STATE_WIPES.labels(self.service, reason).inc()
        local.wipe()
        return NOTHING_YET

    def _topic_id(self) -> int:
        if self._id is None:
            self._id = self._changelog_id()
        return self._id

    def _retention(self) -> int:
        if self._retention_ms is None:
            self._retention_ms = self._delete_retention_ms()
        return self._retention_ms

    def _replay(
        self, pending: set[int], starts: dict[int, Checkpoint], ends: dict[int, int]
    ) -> tuple[dict[int, int], int]:
        """The changelog from each partition's start to its end, written to disk as it comes; returns the
        position each partition reached and the records read."""
        assigned = sorted(pending)
        starting = [TopicPartition(self.changelog, p, starts[p].offset or OFFSET_BEGINNING) for p in assigned]
        self._restore.assign(starting)
        since = {p: starts[p].since_ms for p in assigned}
        reached = {p: starts[p].offset for p in assigned}
        count, watch = 0, _Progress()
        while pending:
            messages = [m for m in self._restore.consume(RESTORE_BATCH, 0.2) if not m.error()]
            positions = self._positions(assigned)
            count += self._apply(messages, positions, reached, since)
            pending = {p for p in pending if reached[p] < ends[p]}
            if stuck := [p for p in watch.stuck({p: reached[p] for p in pending}) if self._blocked(p, reached[p])]:
                log.warning("changelog %s: undecided records at %s hold the restore; settling them",
                            self.changelog, {p: reached[p] for p in stuck})  # fmt: skip
                self.settle(stuck)
            watch.report(self.changelog, count, {p: (reached[p], ends[p]) for p in pending})
        self._restore.unassign()
        return reached, count

    def _apply(self, messages: list[Message], positions: dict[int, int], reached: dict[int, int],
               since: dict[int, int]) -> int:  # fmt: skip
        """Each partition's records of one read, with the checkpoint of where the read stands, in one write."""
        changes: dict[int, dict[bytes, bytes | None]] = {}
        last: dict[int, Message] = {}
        for msg in messages:
            partition = msg.partition() or 0
            changes.setdefault(partition, {})[msg.key() or b""] = msg.value()
            last[partition] = msg
        for partition, msg in last.items():  # a partition's records are in the order they were written
            since[partition] = max(since[partition], msg.timestamp()[1])
        for partition, at in positions.items():
            if at <= reached[partition] and partition not in changes:
                continue
            reached[partition] = max(at, reached[partition])
            written = changes.get(partition, {})
            checkpoint = Checkpoint(reached[partition], since[partition], self._topic_id())
            self._partitions[partition].write(written, checkpoint)
        metrics.RESTORED_RECORDS.labels(self.service).inc(len(messages))
        return len(messages)

    def _end_offset(self, partition: int) -> int:
        """The high watermark: every record below it is restored, once its transaction is decided."""
        return int(self._ends.get_watermark_offsets(TopicPartition(self.changelog, partition), timeout=10)[1])

    def _blocked(self, partition: int, position: int) -> bool:
        """Whether the partition's next record is undecided (its last stable offset is where the restore stands)."""
        stable = self._restore.get_watermark_offsets(TopicPartition(self.changelog, partition), timeout=10)[1]
        return int(stable) <= position

    def _positions(self, partitions: list[int]) -> dict[int, int]:
        # Transaction markers occupy offsets too: the position passes them even with no record.
        found = self._restore.position([TopicPartition(self.changelog, p) for p in partitions])
        return {tp.partition: tp.offset if tp.offset >= 0 else 0 for tp in found}


class _Progress:
    """Which partitions of a restore have not moved for UNDECIDED_SETTLE_S, and a log line now and then."""

    def __init__(self) -> None:
        self._since: dict[int, tuple[int, float]] = {}
        self._logged = time.monotonic()

    def stuck(self, positions: dict[int, int]) -> list[int]:
        now, stuck = time.monotonic(), []
        for p, at in positions.items():
            last, since = self._since.get(p, (-1, now))
            if at != last:
                self._since[p] = (at, now)
            elif now - since >= UNDECIDED_SETTLE_S:
                stuck.append(p)
                self._since[p] = (at, now)
        return sorted(stuck)

    def report(self, changelog: str, count: int, behind: dict[int, tuple[int, int]]) -> None:
        if behind and time.monotonic() - self._logged >= PROGRESS_LOG_S:
            self._logged = time.monotonic()
            log.info("restoring %s: %d records so far; (position, end) %s", changelog, count, behind)


class StateView:
    """One partition's state as a step sees it: the committed store, this batch's writes, and
    the step's own writes (`staged`), which count only if the step succeeds."""

    def __init__(self, store: StateStore, partition: int, batch: dict[tuple[int, bytes], bytes | None]) -> None:
        self._store, self._partition, self._batch = store, partition, batch
        self.staged: dict[bytes, bytes | None] = {}
        self._read: dict[bytes, bytes | None] = {}
        """What the step read from the store: a step reads a key again to write it (an expiring record)."""

    def get(self, key: bytes) -> bytes | None:
        if key in self.staged:
            return self.staged[key]
        if (self._partition, key) in self._batch:
            return self._batch[(self._partition, key)]
        if key not in self._read:
            self._read[key] = self._store.get(self._partition, key)
        return self._read[key]

    def put(self, key: bytes, value: bytes) -> None:
        self.staged[key] = value

    def delete(self, key: bytes) -> None:
        """Removes the key: state that no longer exists leaves nothing behind, on disk or in the changelog."""
        self.staged[key] = None
