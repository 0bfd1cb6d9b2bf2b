"""The tier step's partition clock cannot be pushed on by one shop's future-dated entry, and who is due when
is kept in records that never grow with the number of customers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.codec import Decoded
from services.common.programs import ProgramBook
from services.common.schedule import CHUNK
from services.common.statestore import StateView
from services.common.timestamps import millis
from services.tier import messages
from services.tier.processor import Tiering
from tests.unit.memory import stored
from tests.unit.tier.fold import DAY, T0
from tests.unit.tier.test_tier_step import YEAR, apply, credit, fresh_store, moves

TOLERANCE = timedelta(minutes=5)
LONGEST_ID = 320


def logged(entry: tuple[bytes, Decoded], at: datetime) -> tuple[bytes, Decoded]:
    """The entry as the runtime hands it over: with the time its record was logged."""
    key, decoded = entry
    return key, replace(decoded, logged_at=millis(at))


def test_an_entry_dated_years_ahead_moves_the_partitions_clock_no_further_than_its_log_time() -> None:
    store, step = fresh_store(), Tiering(ProgramBook(), TOLERANCE)
    apply(step, store, logged(credit("loyal", 1_000, T0, shop="other-shop"), T0))
    forged = logged(credit("mallory", 10, T0 + 3 * YEAR, shop="rogue"), T0 + DAY)
    assert apply(step, store, forged) == [], "the other shop's silver member keeps the tier"
    assert messages.load_stream_time(store.get(0, messages.STREAM_TIME)) == T0 + DAY + TOLERANCE
    later = apply(step, store, logged(credit("busy", 10, T0 + YEAR + DAY), T0 + YEAR + DAY))
    assert moves(later) == [("loyal", "silver", "member", "window")], "and loses it when its time has come"


def test_an_entry_logged_a_little_after_its_event_time_keeps_its_own_time() -> None:
    store, step = fresh_store(), Tiering(ProgramBook(), TOLERANCE)
    apply(step, store, logged(credit("ada", 10, T0), T0 - timedelta(minutes=4)))
    assert messages.load_stream_time(store.get(0, messages.STREAM_TIME)) == T0


def test_thousands_of_customers_due_on_one_day_are_all_downgraded_and_no_state_record_grows_with_them() -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    for n in range(3_000):
        apply(step, store, credit(f"member-{n:05d}-" + "x" * 40, 1_000, T0 + timedelta(seconds=n)))
    index = [v for k, v in stored(store).items() if k.startswith(b"\x00tier\x00downgrade")]
    assert max(len(v) for v in index) <= CHUNK * (2 * LONGEST_ID + 8)
    swept: list[tuple[str, str, str, str]] = []
    for n in range(10):
        swept += moves(apply(step, store, credit("busy", 1, T0 + YEAR + DAY + timedelta(seconds=n))))
    assert len(swept) == 3_000
    assert {reason for *_, reason in swept} == {"window"}


def test_the_per_day_buckets_of_an_earlier_version_are_swept_when_their_day_comes_and_deleted() -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    apply(step, store, credit("old", 1_000, T0))
    due = millis(T0 + YEAR)
    legacy = {messages.due_key(messages.day_of(T0 + YEAR)): orjson.dumps([[due, "shop", "old"]])}
    store.put_all({(0, key): value for key, value in legacy.items()})
    store.put_all({(0, k): None for k in list(stored(store)) if k.startswith(b"\x00tier\x00downgrade")})
    swept = apply(step, store, credit("busy", 1, T0 + YEAR + DAY))
    assert moves(swept) == [("old", "silver", "member", "window")]
    assert not any(k.startswith(b"\x00tier\x00due\x00") for k in stored(store))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 400)), min_size=1, max_size=40))
def test_whatever_the_entries_each_customer_due_is_downgraded_once_its_moment_passed_never_before(
    entries: list[tuple[int, int]],
) -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    changes: list[dict[str, Any]] = []
    for customer, day in sorted(entries, key=lambda e: e[1]):
        changes += apply(step, store, credit(f"c{customer}", 1_000, T0 + day * DAY, entry_id=f"e{customer}-{day}"))
    last = max(day for _, day in entries)
    end = T0 + (last + 366) * DAY
    changes += apply(step, store, credit("busy", 1, end))
    downgrades = [c for c in changes if c["reason"] == "window"]
    assert {c["customer_id"] for c in downgrades} == {f"c{c}" for c, _ in entries}
    view = StateView(store, 0, {})
    assert all(messages.load_state(view.get(f"shop:c{c}".encode())).tier == "member" for c, _ in entries)
    for change in downgrades:  # each stamped with the moment it fell due: a year after a credit, never later
        assert change["occurred_at"] in {T0 + (day + 365) * DAY for _, day in entries}
