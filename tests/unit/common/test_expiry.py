"""Expiring state records on the in-memory store: written with a moment, read as gone past it, swept into the batch."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common import expiry
from services.common.statestore import StateStore, StateView
from tests.unit.memory import scratch_store, stored

DAY = expiry.DAY_MS
Changes = dict[tuple[int, bytes], bytes | None]


def commit(store: StateStore, writes: dict[bytes, tuple[bytes, int]], clock: int | None = None) -> Changes:
    """One batch: expiring records written (key -> (value, moment)), the clock moved, then the sweep."""
    changes: Changes = {}
    view = StateView(store, 0, changes)
    for key, (value, until) in writes.items():
        expiry.put(view, key, value, until)
    if clock is not None:
        expiry.advance(view, clock)
    changes.update({(0, k): v for k, v in view.staged.items()})
    expiry.sweep_batch("test", store, changes, [0])
    store.put_all(changes)
    return changes


def read(store: StateStore, key: bytes, now: int) -> bytes | None:
    return expiry.get(StateView(store, 0, {}), key, now)


def test_items_reads_the_committed_records_of_a_range_in_the_byte_order_of_their_keys() -> None:
    store = scratch_store()
    store.put_all({(0, k): k.upper() for k in (b"b", b"a\x01", b"c", b"a", b"bz")})

    assert list(store.items(0, b"a\x01", b"c")) == [(b"a\x01", b"A\x01"), (b"b", b"B"), (b"bz", b"BZ")]
    assert list(store.items(0, b"d", b"e")) == []


def test_the_index_sorts_by_moment_and_stays_apart_from_customer_and_other_special_keys() -> None:
    early, late = expiry.index_key(5, b"z:customer"), expiry.index_key(2**40, b"a:customer")

    assert early < late
    assert all(expiry.INDEX <= k < expiry.INDEX[:-1] + b";" for k in (early, late))
    for other in (b"shop:ada", b"\x00shop\x00shop", b"\x00expiry\x00cursor", b"\x00tier\x00due\x001", b"\x00settle"):
        assert not expiry.INDEX <= other < expiry.INDEX[:-1] + b";"
    assert not expiry.INDEX <= expiry.CLOCK < expiry.INDEX[:-1] + b";"


def test_a_record_reads_as_gone_once_its_moment_has_passed_swept_or_not() -> None:
    store = scratch_store()
    commit(store, {b"k": (b"v", 10 * DAY)})

    assert read(store, b"k", 10 * DAY) == b"v"
    assert read(store, b"k", 10 * DAY + 1) is None
    assert expiry.value(stored(store)[b"k"]) == b"v", "still stored: nothing swept it"


def test_the_sweep_deletes_what_expired_before_the_clock_with_tombstones_in_the_batch() -> None:
    store = scratch_store()
    commit(store, {b"old": (b"1", 3 * DAY), b"new": (b"2", 30 * DAY)}, clock=DAY)

    changes = commit(store, {}, clock=4 * DAY)

    assert changes[(0, b"old")] is None
    assert changes[(0, expiry.index_key(3 * DAY, b"old"))] is None
    assert set(stored(store)) == {b"new", expiry.index_key(30 * DAY, b"new"), expiry.CLOCK, expiry.SWEPT}


def test_a_record_written_again_with_a_later_moment_in_the_sweeping_batch_is_kept() -> None:
    store = scratch_store()
    commit(store, {b"order": (b"paid", 3 * DAY)}, clock=DAY)

    commit(store, {b"order": (b"refunded", 40 * DAY)}, clock=5 * DAY)

    assert read(store, b"order", 5 * DAY) == b"refunded"
    assert expiry.index_key(3 * DAY, b"order") not in stored(store), "the earlier index entry is swept"
    commit(store, {}, clock=41 * DAY)
    assert b"order" not in stored(store)


def test_a_record_keeps_the_later_of_its_moments() -> None:
    store = scratch_store()
    commit(store, {b"k": (b"1", 9 * DAY)})
    commit(store, {b"k": (b"2", 2 * DAY)})

    assert expiry.until(stored(store)[b"k"]) == 9 * DAY
    assert read(store, b"k", 5 * DAY) == b"2"


def test_a_sweep_looks_at_a_bounded_number_of_entries_per_batch_and_goes_on_at_the_next() -> None:
    store = scratch_store()
    many = expiry.SWEEP_LIMIT + 10
    commit(store, {f"k{n:05}".encode(): (b"1", DAY + n) for n in range(many)}, clock=0)

    first = commit(store, {}, clock=3 * DAY)
    second = commit(store, {}, clock=3 * DAY)
    third = commit(store, {}, clock=3 * DAY)

    assert sum(1 for k, v in first.items() if v is None and not k[1].startswith(b"\x00")) == expiry.SWEEP_LIMIT
    assert sum(1 for k, v in second.items() if v is None and not k[1].startswith(b"\x00")) == 10
    assert third == {}, "nothing left: no sweep until the clock enters another day"
    assert set(stored(store)) == {expiry.CLOCK, expiry.SWEPT}


def test_a_sweep_runs_once_per_day_of_the_clock() -> None:
    store = scratch_store()
    commit(store, {b"k": (b"1", DAY + 5)}, clock=DAY)

    later_that_day = commit(store, {}, clock=DAY + 10)

    assert later_that_day == {(0, expiry.CLOCK): str(DAY + 10).encode()}, "the day was swept already"
    assert b"k" in stored(store)
    commit(store, {}, clock=2 * DAY)
    assert b"k" not in stored(store)
    assert orjson.loads(stored(store)[expiry.SWEPT]) == [2, False]


def test_a_value_that_does_not_expire_is_never_swept() -> None:
    store = scratch_store()
    store.put_all({(0, b"plain"): b"1"})
    commit(store, {b"k": (b"1", DAY)}, clock=0)

    commit(store, {}, clock=100 * DAY)

    assert read(store, b"plain", 100 * DAY) == b"1"
    assert b"k" not in stored(store)


writes = st.lists(
    st.tuples(st.sampled_from([b"a", b"b", b"c", b"d", b"e"]), st.integers(0, 20 * DAY)), min_size=1, max_size=30
)


@given(st.lists(st.tuples(writes, st.integers(0, 25 * DAY)), min_size=1, max_size=8))
def test_given_any_writes_and_clocks_then_no_record_outlives_its_moment_past_a_sweep_and_none_goes_before(
    batches: list[tuple[list[tuple[bytes, int]], int]],
) -> None:
    store, clock = scratch_store(), 0
    latest: dict[bytes, int] = {}
    for batch, moved in batches:
        written: dict[bytes, int] = {}
        for key, at in batch:
            written[key] = max(written.get(key, at), at)
            latest[key] = max(latest.get(key, at), at)
        commit(store, {key: (b"v", at) for key, at in written.items()}, clock=moved)
        clock = max(clock, moved)
        for key, until in latest.items():
            assert read(store, key, clock) == (b"v" if until >= clock else None)
    commit(store, {}, clock=clock + DAY)  # a sweep past the last day
    state = stored(store)
    for key, until in latest.items():
        assert (key in state) == (until >= clock + DAY)
    index = {k for k in state if k.startswith(expiry.INDEX)}
    assert {expiry.index_key(u, k) for k, u in latest.items() if u >= clock + DAY} <= index
    assert all(int.from_bytes(k[len(expiry.INDEX) : len(expiry.INDEX) + 8], "big") >= clock + DAY for k in index)


def test_a_sweep_that_fails_leaves_the_batch_as_it_was_and_its_records_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    store = scratch_store()
    commit(store, {b"k": (b"1", DAY)}, clock=0)

    def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(store, "items", broken)
    changes: Changes = {(0, expiry.CLOCK): str(5 * DAY).encode()}

    assert expiry.sweep_batch("test", store, changes, [0]) == 0
    assert changes == {(0, expiry.CLOCK): str(5 * DAY).encode()}
