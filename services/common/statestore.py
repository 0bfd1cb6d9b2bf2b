"""Per-customer state kept in memory and backed by a compacted changelog topic.

The processor writes each changed state to the changelog partition of the input partition in
the same Kafka transaction as its output and consumed offsets, so after a crash the store is
restored to exactly the committed state (the Kafka Streams model, without the framework).

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
from collections.abc import Callable, Iterator

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

log = logging.getLogger(__name__)
UNDECIDED_SETTLE_S = 5.0
PROGRESS_LOG_S = 10.0


class StateStore:
    def __init__(
        self,
        changelog: str,
        consumer: Consumer,
        ends: Consumer | None = None,
        settle: Callable[[list[int]], None] = lambda _: None,
    ) -> None:
        """`consumer` reads the changelog (read_committed); `ends` (read_uncommitted) tells how far it goes."""
        self.changelog = changelog
        self._restore = consumer
        self._ends = ends or consumer
        self.settle = settle
        self._partitions: dict[int, dict[bytes, bytes]] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self._partitions[partition].get(key)

    def items(self, partition: int, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        """The committed records of `partition` with `start <= key < stop`, in the byte order of their keys.

        Sorted over the partition's keys at each call: a scan of them all, which the expiry sweep makes
        at most once a day of event time per partition."""
        state = self._partitions[partition]
        return iter([(key, state[key]) for key in sorted(k for k in state if start <= k < stop)])

    def put_all(self, changes: dict[tuple[int, bytes], bytes | None]) -> None:
        """Applies a committed batch; None deletes the key (a tombstone in the changelog)."""
        for (partition, key), value in changes.items():
            if value is None:
                self._partitions[partition].pop(key, None)
            else:
                self._partitions[partition][key] = value

    def drop(self, partitions: list[int]) -> None:
        for p in partitions:
            self._partitions.pop(p, None)

    def restore(self, partitions: list[int], timeout_s: float = 180.0) -> int:
        """Reads the committed changelog of `partitions` from the start; returns records read."""
        if not partitions:
            return 0
        started = time.monotonic()
        ends = {p: self._end_offset(p) for p in partitions}
        pending = {p for p, end in ends.items() if end > 0}
        for p in partitions:
            self._partitions[p] = {}
        self._restore.assign([TopicPartition(self.changelog, p, OFFSET_BEGINNING) for p in pending])
        count, watch = 0, _Progress()
        while pending:
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"changelog {self.changelog} not restored within {timeout_s} s")
            count += self._apply(self._restore.consume(1000, 0.2))
            positions = {p: self._position(p) for p in pending}
            pending = {p for p, at in positions.items() if at < ends[p]}
            if stuck := [p for p in watch.stuck({p: positions[p] for p in pending}) if self._blocked(p, positions[p])]:
                log.warning("changelog %s: undecided records at %s hold the restore; settling them",
                            self.changelog, {p: positions[p] for p in stuck})  # fmt: skip
                self.settle(stuck)
            watch.report(self.changelog, count, {p: (positions[p], ends[p]) for p in pending})
        self._restore.unassign()
        log.info("restored %d state records for partitions %s in %.2fs", count, partitions, time.monotonic() - started)
        return count

    def _apply(self, messages: list[Message]) -> int:
        applied = 0
        for msg in messages:
            if msg.error():
                continue
            store, key, value = self._partitions[msg.partition() or 0], msg.key() or b"", msg.value()
            if value is None:
                store.pop(key, None)
            else:
                store[key] = value
            applied += 1
        return applied

    def _end_offset(self, partition: int) -> int:
        """The high watermark: every record below it is restored, once its transaction is decided."""
        return int(self._ends.get_watermark_offsets(TopicPartition(self.changelog, partition), timeout=10)[1])

    def _blocked(self, partition: int, position: int) -> bool:
        """Whether the partition's next record is undecided (its last stable offset is where the restore stands)."""
        stable = self._restore.get_watermark_offsets(TopicPartition(self.changelog, partition), timeout=10)[1]
        return int(stable) <= position

    def _position(self, partition: int) -> int:
        # Transaction markers occupy offsets too: the position passes them even with no record.
        [tp] = self._restore.position([TopicPartition(self.changelog, partition)])
        return tp.offset if tp.offset >= 0 else 0


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

    def get(self, key: bytes) -> bytes | None:
        if key in self.staged:
            return self.staged[key]
        if (self._partition, key) in self._batch:
            return self._batch[(self._partition, key)]
        return self._store.get(self._partition, key)

    def put(self, key: bytes, value: bytes) -> None:
        self.staged[key] = value

    def delete(self, key: bytes) -> None:
        """Removes the key: state that no longer exists leaves nothing behind, in memory or in the changelog."""
        self.staged[key] = None
