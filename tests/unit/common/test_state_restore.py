"""A restore reads the changelog from the local checkpoint to its end, and settles records a broker left
undecided (stand-ins for Kafka, real RocksDB in a scratch directory).

Records stand below the high watermark; a read_committed reader sees them only up to the last stable
offset. A restore that stopped at the last stable offset would build state from part of the log: the
processor would then take events it already applied for new ones. A restart restores only the tail past
its checkpoint, unless the checkpoint cannot be trusted: then the local state is wiped and rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from services.common import expiry, statestore
from services.common.localstate import Checkpoint
from services.common.statestore import StateStore
from tests.unit.memory import MEMORY, scratch_directory, stored


@dataclass
class Changelog:
    """One topic's partitions: their records, and how far each is decided (its last stable offset)."""

    records: dict[int, list[tuple[bytes, bytes | None]]]
    stable: dict[int, int]
    positions: dict[int, int] = field(default_factory=dict)
    settled: list[list[int]] = field(default_factory=list)
    reads_left: int = -1
    """How many reads the process lives for (-1: for ever): a SIGKILL in the middle of a restore."""
    delivered: int = 0

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.positions = {tp.partition: 0 if tp.offset == OFFSET_BEGINNING else tp.offset for tp in partitions}

    def unassign(self) -> None:
        self.positions = {}

    def consume(self, count: int, timeout: float) -> list[Any]:
        if self.reads_left == 0:
            raise Killed
        self.reads_left -= 1
        out = []
        for p, at in self.positions.items():
            for key, value in self.records[p][at : min(self.stable[p], at + count)]:
                out.append(Message(p, key, value))
            self.positions[p] = max(at, min(self.stable[p], at + count))
        self.delivered += len(out)
        return out

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [TopicPartition(tp.topic, tp.partition, self.positions.get(tp.partition, -1001)) for tp in partitions]

    def get_watermark_offsets(self, tp: TopicPartition, timeout: float) -> tuple[int, int]:
        return 0, self.stable[tp.partition]

    def settle(self, partitions: list[int]) -> None:
        """The marker of a new transaction decides what was undecided, and its tombstone follows."""
        self.settled.append(partitions)
        for p in partitions:
            self.records[p].append((b"\x00settle", None))
            self.stable[p] = len(self.records[p])


class Killed(Exception):
    pass


@dataclass
class Message:
    _partition: int
    _key: bytes
    _value: bytes | None

    def error(self) -> None:
        return None

    def timestamp(self) -> tuple[int, int]:
        return 1, statestore.now_ms()

    def partition(self) -> int:
        return self._partition

    def key(self) -> bytes:
        return self._key

    def value(self) -> bytes | None:
        return self._value


@dataclass
class HighWatermarks:
    changelog: Changelog

    def get_watermark_offsets(self, tp: TopicPartition, timeout: float) -> tuple[int, int]:
        return 0, len(self.changelog.records[tp.partition])


def store_of(
    changelog: Changelog, directory: Path | None = None, retention_ms: int = 86_400_000, topic_id: int = 7
) -> StateStore:
    consumer: Any = changelog
    ends: Any = HighWatermarks(changelog)
    return StateStore("earn.customer-state", consumer, directory or scratch_directory(), ends=ends,
                      settle=changelog.settle, memory=MEMORY, delete_retention_ms=lambda: retention_ms,
                      changelog_id=lambda: topic_id)  # fmt: skip


def records(n: int) -> list[tuple[bytes, bytes | None]]:
    return [(f"k{i}".encode(), b"1") for i in range(n)]


def test_a_restore_reads_every_partition_to_its_end() -> None:
    changelog = Changelog({0: records(3), 1: records(2)}, {0: 3, 1: 2})
    store = store_of(changelog)
    assert store.restore([0, 1]) == 5
    assert store.get(1, b"k1") == b"1"
    assert changelog.settled == []


def test_a_restore_lists_the_expiring_records_it_reads_in_the_local_index_for_the_sweep() -> None:
    framed = expiry.FRAME + (5 * expiry.DAY_MS).to_bytes(8, "big") + b"1"
    changelog = Changelog({0: [(b"old", framed), (b"kept", b"1"), (expiry.CLOCK, b"%d" % (6 * expiry.DAY_MS))]},
                          {0: 3})  # fmt: skip
    store = store_of(changelog)
    store.restore([0])
    assert expiry.index_key(5 * expiry.DAY_MS, b"old") in stored(store)
    changes: expiry.Changes = {}
    assert expiry.sweep_batch("earn", store, changes, [0]) == 1
    assert changes[(0, b"old")] is None


def test_undecided_records_are_settled_before_the_restore_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a broker restart, partition 0's first transaction is undecided: nothing of it is readable."""
    monkeypatch.setattr(statestore, "UNDECIDED_SETTLE_S", 0.0)
    changelog = Changelog({0: records(4), 1: records(2)}, {0: 0, 1: 2})
    store = store_of(changelog)
    store.restore([0, 1])
    assert changelog.settled == [[0]]
    assert [store.get(0, f"k{i}".encode()) for i in range(4)] == [b"1"] * 4, "the whole partition, not none of it"


def test_a_restore_does_not_settle_a_partition_that_is_still_moving(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statestore, "UNDECIDED_SETTLE_S", 60.0)
    changelog = Changelog({0: records(4)}, {0: 4})
    store_of(changelog).restore([0])
    assert changelog.settled == []


def restarted(changelog: Changelog, directory: Path, retention_ms: int = 86_400_000) -> tuple[StateStore, int]:
    """A new process on the same directory: its restore of partition 0, and the records that restore read."""
    changelog.delivered = 0
    store = store_of(changelog, directory, retention_ms)
    store.restore([0])
    return store, changelog.delivered


def grown(changelog: Changelog, new: list[tuple[bytes, bytes | None]]) -> None:
    """Another instance (or the batch committed just before a crash) appended `new` to partition 0."""
    changelog.records[0] += new
    changelog.stable[0] = len(changelog.records[0])


def test_a_restart_reads_only_the_changelog_written_past_its_checkpoint() -> None:
    changelog, directory = Changelog({0: records(500)}, {0: 500}), scratch_directory()
    first = store_of(changelog, directory)
    assert first.restore([0]) == 500
    first.close()
    grown(changelog, [(b"k1", b"2"), (b"k7", None), (b"new", b"3")])
    store, read = restarted(changelog, directory)
    assert read == 3
    assert (store.get(0, b"k1"), store.get(0, b"k7"), store.get(0, b"new")) == (b"2", None, b"3")
    assert len(stored(store)) == 500


def test_a_batch_written_with_its_checkpoint_is_not_read_again() -> None:
    changelog, directory = Changelog({0: records(10)}, {0: 10}), scratch_directory()
    store = store_of(changelog, directory)
    store.restore([0])
    grown(changelog, [(b"k1", b"9")])  # the processor's own batch, committed
    store.put_all({(0, b"k1"): b"9"}, {0: Checkpoint(11, statestore.now_ms())})
    store.close()
    again, read = restarted(changelog, directory)
    assert (read, again.get(0, b"k1")) == (0, b"9")


def test_a_crash_between_the_commit_and_the_local_write_is_made_good_by_the_changelog() -> None:
    changelog, directory = Changelog({0: records(10)}, {0: 10}), scratch_directory()
    store = store_of(changelog, directory)
    store.restore([0])
    store.close()
    grown(changelog, [(b"k1", b"9"), (b"k2", None)])  # committed, never written locally
    again, read = restarted(changelog, directory)
    assert (read, again.get(0, b"k1"), again.get(0, b"k2")) == (2, b"9", None)


def test_a_checkpoint_past_the_changelog_end_wipes_the_local_state() -> None:
    """The topic was deleted and created again: what is on disk belongs to another log."""
    directory = scratch_directory()
    old = store_of(Changelog({0: records(50)}, {0: 50}), directory)
    old.restore([0])
    old.close()
    recreated = Changelog({0: [(b"only", b"1")]}, {0: 1})
    store, read = restarted(recreated, directory)
    assert (read, stored(store)) == (1, {b"only": b"1"})


def test_a_checkpoint_of_another_topic_of_the_same_name_wipes_the_local_state() -> None:
    """The topic was created again and has grown past the checkpoint: its id tells it apart."""
    directory = scratch_directory()
    old = store_of(Changelog({0: records(5)}, {0: 5}), directory, topic_id=7)
    old.restore([0])
    old.close()
    recreated = Changelog({0: [(b"new", b"1")] * 20}, {0: 20})
    store = store_of(recreated, directory, topic_id=8)
    assert store.restore([0]) == 20
    assert stored(store) == {b"new": b"1"}


def test_a_checkpoint_older_than_the_tombstones_are_kept_wipes_the_local_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Compaction may have removed a tombstone of the tail: the local state would keep a deleted key."""
    changelog, directory = Changelog({0: records(5)}, {0: 5}), scratch_directory()
    store = store_of(changelog, directory)
    store.restore([0])
    store.close()
    changelog.records[0] = [(b"k0", b"1")]  # compacted: k1..k4 deleted, and their tombstones gone too
    changelog.records[0] += [(b"", None)] * 5
    changelog.stable[0] = len(changelog.records[0])
    later = statestore.now_ms() + 3_600_000
    monkeypatch.setattr(statestore, "now_ms", lambda: later)
    again, read = restarted(changelog, directory, retention_ms=60_000)
    assert set(stored(again)) == {b"k0"}
    assert read == 6


def test_a_restore_killed_midway_goes_on_from_where_it_stopped() -> None:
    changelog, directory = (
        Changelog({0: records(20_000), 1: records(9_000)}, {0: 20_000, 1: 9_000}),
        scratch_directory(),
    )
    changelog.reads_left = 1
    with pytest.raises(Killed):
        store_of(changelog, directory).restore([0, 1])
    read_before = changelog.delivered
    changelog.reads_left, changelog.delivered = -1, 0
    store = store_of(changelog, directory)
    assert 0 < read_before < 29_000
    assert store.restore([0, 1]) == 29_000 - read_before
    assert len(stored(store, 0)) == 20_000
    assert len(stored(store, 1)) == 9_000


def test_a_partition_given_back_and_assigned_again_catches_up_from_its_checkpoint() -> None:
    changelog = Changelog({0: records(100)}, {0: 100})
    store = store_of(changelog)
    store.restore([0])
    store.drop([0])
    grown(changelog, [(b"k3", b"later")])
    changelog.delivered = 0
    assert store.restore([0]) == 1
    assert store.get(0, b"k3") == b"later"
