"""Per-customer state kept in memory and backed by a compacted changelog topic.

The processor writes each changed state to the changelog partition of the input partition in
the same Kafka transaction as its output and consumed offsets, so after a crash the store is
restored to exactly the committed state (the Kafka Streams model, without the framework).
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

log = logging.getLogger(__name__)


class StateStore:
    def __init__(self, changelog: str, consumer: Consumer) -> None:
        self.changelog = changelog
        self._restore = consumer
        self._partitions: dict[int, dict[bytes, bytes]] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self._partitions[partition].get(key)

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
        count = 0
        while pending:
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"changelog {self.changelog} not restored within {timeout_s} s")
            for msg in self._restore.consume(1000, 0.2):
                if msg.error():
                    continue
                store, key, value = self._partitions[msg.partition() or 0], msg.key() or b"", msg.value()
                if value is None:
                    store.pop(key, None)
                else:
                    store[key] = value
                count += 1
            pending = {p for p in pending if self._position(p) < ends[p]}
        self._restore.unassign()
        log.info("restored %d state records for partitions %s in %.2fs", count, partitions, time.monotonic() - started)
        return count

    def _end_offset(self, partition: int) -> int:
        return int(self._restore.get_watermark_offsets(TopicPartition(self.changelog, partition), timeout=10)[1])

    def _position(self, partition: int) -> int:
        # Transaction markers occupy offsets too: the position passes them even with no record.
        [tp] = self._restore.position([TopicPartition(self.changelog, partition)])
        return tp.offset if tp.offset >= 0 else 0


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
