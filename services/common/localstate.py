"""One changelog partition's state on local disk: a RocksDB (through rocksdict) and its checkpoint.

The checkpoint says how far into the changelog the local state goes: every committed changelog record
below `offset` is applied, none at or past it is assumed. It is written in the same atomic write
(a WriteBatch) as the state it describes, so a crash at any moment leaves state and checkpoint that
agree. State may be further along than its checkpoint says (replaying a changelog record already
applied writes the same value again), never behind it.

Memory is bounded by `Memory` (STATE_CACHE_MB), shared by every partition of a process: one block
cache, and the memtables charged to it through a write buffer manager. The write-ahead log stays on
(not synced on every write): a killed process loses nothing it wrote, and a machine that loses power
recovers to a consistent point in time, which the changelog then carries forward.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rocksdict import BlockBasedOptions, Cache, Options, Rdict, ReadOptions, WriteBatch, WriteBufferManager

EXPIRY_INDEX = b"\x00exp:"
"""Keys of the index of expiring records (`services.common.expiry`): `EXPIRY_INDEX + until (8 bytes big-endian)
+ key`, in the order the records fall due. Local: derived from the records as they are written here (from a
batch or a restore), never in the changelog."""
FRAME = b"\x00"
"""An expiring record's value starts with it, then its moment (8 bytes big-endian), then the value itself."""
CHECKPOINTS = "checkpoint"
"""The column family of the checkpoint, apart from the state so that range reads never see it."""
CHECKPOINT_KEY = b"changelog"
_CHECKPOINT = struct.Struct(">qq16s")


def expiring_moment(value: bytes) -> bytes | None:
    """The moment (8 bytes big-endian) an expiring value carries after its `FRAME`; None for a value that does not
    expire."""
    return value[1:9] if value[:1] == FRAME and len(value) >= 9 else None


@dataclass(frozen=True)
class Checkpoint:
    offset: int
    """The first changelog offset the local state has not applied."""
    since_ms: int
    """No changelog record at or past `offset` was written before this time (epoch milliseconds): until
    `since_ms` + the changelog's delete.retention.ms, compaction has removed no tombstone from that tail."""
    changelog_id: int = 0
    """The changelog topic's id (Kafka's topic UUID; 0: unknown): a topic of the same name created again
    has another, and its offsets say nothing of this state."""

    def encode(self) -> bytes:
        return _CHECKPOINT.pack(self.offset, self.since_ms, self.changelog_id.to_bytes(16, "big"))

    @staticmethod
    def decode(raw: bytes) -> Checkpoint:
        offset, since_ms, changelog_id = _CHECKPOINT.unpack(raw)
        return Checkpoint(offset, since_ms, int.from_bytes(changelog_id, "big"))


class Memory:
    """The RocksDB memory of one process, whatever the number of partitions: a block cache of `cache_mb`
    that also carries the memtables (half of it at most), as Kafka Streams bounds its stores."""

    def __init__(self, cache_mb: int) -> None:
        total = max(cache_mb, 8) << 20
        self.cache = Cache(total)
        self.write_buffers = WriteBufferManager.new_write_buffer_manager_with_cache(total // 2, False, self.cache)
        self.write_buffer_bytes = max(1 << 20, total // 8)

    def options(self) -> Options:
        options = Options(raw_mode=True)
        options.create_if_missing(True)
        options.create_missing_column_families(True)
        table = BlockBasedOptions()
        table.set_block_cache(self.cache)
        table.set_cache_index_and_filter_blocks(True)
        table.set_bloom_filter(10, False)
        options.set_block_based_table_factory(table)
        options.set_write_buffer_manager(self.write_buffers)
        options.set_write_buffer_size(self.write_buffer_bytes)
        options.set_max_write_buffer_number(2)
        options.set_max_open_files(64)
        options.set_keep_log_file_num(2)
        options.set_max_log_file_size(1 << 20)
        return options


class LocalPartition:
    """get / write / items over one partition's RocksDB; `wipe` empties it (state and checkpoint)."""

    def __init__(self, path: Path, memory: Memory) -> None:
        self.path, self._memory = path, memory
        self._open()

    def _open(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(self.path), self._memory.options(), column_families={CHECKPOINTS: self._memory.options()})
        self._checkpoints = self._db.get_column_family(CHECKPOINTS)
        self._checkpoint_family = self._db.get_column_family_handle(CHECKPOINTS)

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self._db.get(key)
        return value

    def checkpoint(self) -> Checkpoint | None:
        raw = self._checkpoints.get(CHECKPOINT_KEY)
        return None if raw is None else Checkpoint.decode(raw)

    def write(self, changes: Mapping[bytes, bytes | None], checkpoint: Checkpoint | None = None) -> None:
        """`changes` (None deletes) and the checkpoint, if any, in one atomic write; an expiring record with
        its index entry (an earlier entry of the record stays until the sweep finds it stale)."""
        batch = WriteBatch(raw_mode=True)
        for key, value in changes.items():
            if value is None:
                batch.delete(key)
                continue
            batch.put(key, value)
            if (moment := expiring_moment(value)) is not None:
                batch.put(EXPIRY_INDEX + moment + key, b"1")
        if checkpoint is not None:
            batch.put(CHECKPOINT_KEY, checkpoint.encode(), self._checkpoint_family)
        if len(batch):
            self._db.write(batch)

    def items(self, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Keys in byte order from `start` (inclusive) to `stop` (exclusive), with their values."""
        bounds = ReadOptions()
        bounds.set_iterate_upper_bound(stop)
        cursor = self._db.iter(bounds)
        cursor.seek(start)
        try:
            while cursor.valid():
                yield cursor.key(), cursor.value()
                cursor.next()
        finally:
            del cursor

    def wipe(self) -> None:
        """Deletes the state and its checkpoint: the partition is restored from the changelog's start."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)
        self._open()

    def close(self) -> None:
        # Every handle on the database goes before it closes, or RocksDB keeps its lock.
        del self._checkpoints, self._checkpoint_family
        self._db.close()
        del self._db
