"""A restore reads the whole changelog, and settles records a broker left undecided (stand-ins for Kafka).

Records stand below the high watermark; a read_committed reader sees them only up to the last stable
offset. A restore that stopped at the last stable offset would build state from part of the log: the
processor would then take events it already applied for new ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from services.common import statestore
from services.common.statestore import StateStore


@dataclass
class Changelog:
    """One topic's partitions: their records, and how far each is decided (its last stable offset)."""

    records: dict[int, list[tuple[bytes, bytes | None]]]
    stable: dict[int, int]
    positions: dict[int, int] = field(default_factory=dict)
    settled: list[list[int]] = field(default_factory=list)

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.positions = {tp.partition: 0 for tp in partitions}

    def unassign(self) -> None:
        self.positions = {}

    def consume(self, count: int, timeout: float) -> list[Any]:
        out = []
        for p, at in self.positions.items():
            for key, value in self.records[p][at : self.stable[p]]:
                out.append(Message(p, key, value))
            self.positions[p] = max(at, self.stable[p])
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


@dataclass
class Message:
    _partition: int
    _key: bytes
    _value: bytes | None

    def error(self) -> None:
        return None

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


def store_of(changelog: Changelog) -> StateStore:
    consumer: Any = changelog
    ends: Any = HighWatermarks(changelog)
    return StateStore("earn.customer-state", consumer, ends=ends, settle=changelog.settle)


def records(n: int) -> list[tuple[bytes, bytes | None]]:
    return [(f"k{i}".encode(), b"1") for i in range(n)]


def test_a_restore_reads_every_partition_to_its_end() -> None:
    changelog = Changelog({0: records(3), 1: records(2)}, {0: 3, 1: 2})
    store = store_of(changelog)
    assert store.restore([0, 1]) == 5
    assert store.get(1, b"k1") == b"1"
    assert changelog.settled == []


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
