"""The expiry schedule of a partition: every due customer swept once, none early, and no state record that grows
with the number of customers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.schedule import CHUNK
from services.common.statestore import StateStore, StateView
from services.redeem import schedule
from tests.unit.memory import scratch_store, stored
from tests.unit.redeem.step import Partition, records
from tests.unit.redeem.support import DAY, T0, earned, tick

LONGEST_ID = 64
BOUND = CHUNK * (2 * LONGEST_ID + 8) + 64
"""The largest record the index may hold: a chunk of customers with the longest ids, and its JSON."""

customers = st.tuples(st.sampled_from(["shop-1", "shop-2"]), st.text("abcdefghij", min_size=1, max_size=LONGEST_ID))
moments = st.integers(0, 3 * 24 * 60).map(lambda minutes: T0 + timedelta(minutes=minutes))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), customers, st.none() | moments),
        st.tuples(st.just("due"), moments, st.integers(1, 5)),
    ),
    max_size=60,
)


def fresh_view() -> tuple[StateStore, StateView]:
    store = scratch_store("redeem.customer-state")
    return store, StateView(store, 0, {})


def commit(store: StateStore, view: StateView) -> StateView:
    store.put_all({(0, k): v for k, v in view.staged.items()})
    return StateView(store, 0, {})


@settings(max_examples=300)
@given(operations)
def test_each_customer_is_swept_once_its_moment_has_come_never_before_and_every_record_stays_small(
    ops: list[tuple[str, object, object]],
) -> None:
    store, view = fresh_view()
    scheduled: dict[tuple[str, str], datetime] = {}
    clock = T0
    for kind, first, second in ops:
        if kind == "put":
            customer, when = cast(tuple[str, str], first), cast(datetime | None, second)
            schedule.put(view, customer, when)
            scheduled.pop(customer, None)
            if when is not None:
                scheduled[customer] = when
        else:
            clock = max(clock, cast(datetime, first))
            swept = schedule.due(view, clock, cast(int, second))
            assert len(swept) == len(set(swept)) <= cast(int, second)
            for customer in swept:
                assert scheduled.pop(customer) <= clock
        view = commit(store, view)
        assert max((len(v) for v in stored(store).values()), default=0) <= BOUND
    swept = schedule.due(view, clock + 10 * DAY, 10_000)
    assert sorted(swept) == sorted(scheduled)
    view = commit(store, view)
    assert set(stored(store)) == {b"\x00expiry\x00cursor"}  # nothing left behind


def test_five_thousand_customers_due_on_one_day_leave_every_record_small_and_expire_over_several_ticks() -> None:
    partition = Partition()
    for i in range(5_000):
        partition.send(earned(10, customer=f"customer-{i:05}", lifetime=30 * DAY))

    largest = max(len(v) for k, v in partition.state().items() if k.startswith(b"\x00"))
    assert largest < 20_000

    expired = []
    for minute in range(20):
        expired += records(partition.send(tick(T0 + 30 * DAY + timedelta(minutes=minute))), "PointsExpired")
    assert len(expired) == len({r["customer_id"] for r in expired}) == 5_000
    assert not [k for k in partition.state() if k.startswith(b"\x00expiry\x00customer")]


def test_the_per_day_buckets_of_earlier_versions_are_moved_into_the_index_and_swept() -> None:
    partition = Partition()
    partition.send(earned(10, customer="ada", lifetime=30 * DAY))
    view = StateView(partition.store, 0, {})
    day = int((T0 + 30 * DAY).timestamp()) // 86_400
    for key in [k for k in partition.state() if k.startswith(b"\x00expiry")]:
        view.delete(key)  # as an earlier version left it: ada only in its per-day bucket
    view.put(b"\x00due\x00" + str(day).encode(), orjson.dumps([[(T0 + 30 * DAY).timestamp(), "shop-1", "ada"]]))
    view.put(b"\x00due-days", str(day).encode())
    partition.store.put_all({(0, k): v for k, v in view.staged.items()})

    assert records(partition.send(tick(T0 + DAY)), "PointsExpired") == []
    assert [r["customer_id"] for r in records(partition.send(tick(T0 + 31 * DAY)), "PointsExpired")] == ["ada"]
    assert not [k for k in partition.state() if k.startswith(b"\x00due")]
