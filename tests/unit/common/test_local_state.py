"""The on-disk state of a partition (real RocksDB in scratch directories): what it reads back after a
reopen, its range reads in byte order, and a batch written with its checkpoint as one."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from confluent_kafka import Consumer
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.localstate import CHECKPOINTS, EXPIRY_INDEX, FRAME, Checkpoint, LocalPartition
from services.common.statestore import StateStore
from tests.unit.memory import EVERY_KEY_BELOW, MEMORY, EmptyChangelog, scratch_directory, scratch_store

keys = st.binary(min_size=0, max_size=6)
plain = st.binary(max_size=20).filter(lambda value: value[:1] != FRAME)
"""Values that do not expire (an expiring one brings its index entry: the first test)."""
batches = st.lists(st.dictionaries(keys, st.none() | st.binary(max_size=20), max_size=12), max_size=15)


def reopened(path: Path, partition: LocalPartition) -> LocalPartition:
    partition.close()
    return LocalPartition(path, MEMORY)


@settings(max_examples=60, deadline=None)
@given(batches)
def test_any_sequence_of_batches_reads_back_after_a_reopen_as_a_dict_folds_it(
    sequence: list[dict[bytes, bytes | None]],
) -> None:
    path = scratch_directory() / "p"
    local, model = LocalPartition(path, MEMORY), dict[bytes, bytes]()
    for n, batch in enumerate(sequence):
        local.write(batch, Checkpoint(n + 1, n))
        for key, value in batch.items():
            if value is None:
                model.pop(key, None)
                continue
            model[key] = value
            if value[:1] == FRAME and len(value) >= 9:  # an expiring record: listed in the index as well
                model[EXPIRY_INDEX + value[1:9] + key] = b"1"
    local = reopened(path, local)
    assert dict(local.items(b"", EVERY_KEY_BELOW)) == model
    assert all(local.get(key) == value for key, value in model.items())
    assert local.checkpoint() == (Checkpoint(len(sequence), len(sequence) - 1) if sequence else None)
    local.close()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(st.tuples(st.integers(0, 1), keys), st.none() | plain, max_size=12), max_size=15))
def test_any_sequence_of_put_all_then_a_restart_gives_the_state_a_dict_folds(
    sequence: list[dict[tuple[int, bytes], bytes | None]],
) -> None:
    """A new store on the same directory (a restarted process) restores nothing from an unchanged changelog."""
    store, model = scratch_store(), dict[tuple[int, bytes], bytes]()
    store.restore([1])
    for batch in sequence:
        store.put_all(batch)
        for key, value in batch.items():
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
    store.close()
    again = StateStore(store.changelog, cast(Consumer, EmptyChangelog()), store.directory, memory=MEMORY)
    assert again.restore([0, 1]) == 0
    found = {(p, k): v for p in (0, 1) for k, v in again.items(p, b"", EVERY_KEY_BELOW)}
    assert found == model
    again.close()


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys, st.binary(max_size=4), max_size=30), keys, keys)
def test_a_range_read_gives_the_keys_from_start_to_stop_exclusive_in_byte_order(
    state: dict[bytes, bytes], start: bytes, stop: bytes
) -> None:
    store = scratch_store()
    store.put_all({(0, key): value for key, value in state.items()})
    expected = sorted((k, v) for k, v in state.items() if start <= k < stop)
    assert list(store.items(0, start, stop)) == expected
    store.close()


def test_range_reads_order_keys_by_bytes_not_by_text_and_never_show_the_checkpoint() -> None:
    store = scratch_store()
    written = {b"\x00expiry\x00cursor": b"c", b"shop:b": b"2", b"shop:a": b"1", b"shop:\xc3\xa9": b"3", b"z": b"4"}
    store.put_all({(0, k): v for k, v in written.items()}, {0: Checkpoint(9, 1)})
    assert [k for k, _ in store.items(0, b"shop:", b"shop;")] == [b"shop:a", b"shop:b", b"shop:\xc3\xa9"]
    assert [k for k, _ in store.items(0, b"", b"\x01")] == [b"\x00expiry\x00cursor"]
    assert b"changelog" not in dict(store.items(0, b"", EVERY_KEY_BELOW))
    assert CHECKPOINTS != "default"


def test_a_batch_and_its_checkpoint_are_written_together_or_not_at_all() -> None:
    """A write that fails (here a value RocksDB cannot take) leaves neither the state nor the checkpoint."""
    path = scratch_directory() / "p"
    local = LocalPartition(path, MEMORY)
    local.write({b"a": b"1"}, Checkpoint(1, 1))
    with pytest.raises(Exception):  # noqa: B017, PT011 - rocksdict's own exception type for a value it refuses
        local.write({b"b": b"2", b"c": 3}, Checkpoint(2, 2))  # type: ignore[dict-item]
    local = reopened(path, local)
    assert (local.get(b"b"), local.checkpoint()) == (None, Checkpoint(1, 1))
    local.close()


def test_a_checkpoint_alone_moves_on_without_touching_the_state() -> None:
    path = scratch_directory() / "p"
    local = LocalPartition(path, MEMORY)
    local.write({b"a": b"1"}, Checkpoint(1, 1))
    local.write({}, Checkpoint(5, 7))
    local = reopened(path, local)
    assert (local.get(b"a"), local.checkpoint()) == (b"1", Checkpoint(5, 7))
    local.close()


def test_a_wipe_leaves_no_state_and_no_checkpoint() -> None:
    path = scratch_directory() / "p"
    local = LocalPartition(path, MEMORY)
    local.write({b"a": b"1"}, Checkpoint(3, 3))
    local.wipe()
    local = reopened(path, local)
    assert (local.get(b"a"), local.checkpoint(), list(local.items(b"", EVERY_KEY_BELOW))) == (None, None, [])
    local.close()


def test_a_store_puts_each_partition_of_a_batch_in_its_own_database() -> None:
    store = scratch_store()
    store.restore([1])
    store.put_all({(0, b"a"): b"0", (1, b"a"): b"1"}, {1: Checkpoint(4, 4)})
    assert (store.get(0, b"a"), store.get(1, b"a")) == (b"0", b"1")
    assert sorted(p.name for p in store.directory.iterdir()) == ["customer-state-0", "customer-state-1"]
    store.close()
