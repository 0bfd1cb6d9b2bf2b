"""A customer's tier state stays bounded whatever they earn: beyond a number of entries in the window, a day's
entries become one, so qualifying points stay exact and a credit leaves the window never sooner, at most a day later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.programs import ProgramBook
from services.tier import domain, messages
from services.tier.domain import Entry, bounded, qualifying_points
from services.tier.ladder import DEFAULT_RULES
from services.tier.processor import Tiering
from tests.unit.memory import stored as stored_state
from tests.unit.tier.fold import DAY, T0
from tests.unit.tier.test_tier_step import apply, credit, fresh_store

entries = st.lists(
    st.tuples(st.integers(0, 400 * 24 * 60), st.integers(-50, 500)).map(
        lambda t: Entry(f"e-{t[0]}-{t[1]}", T0 + timedelta(minutes=t[0]), t[1])
    ),
    max_size=60,
    unique_by=lambda e: e.entry_id,
)


@given(entries, st.integers(1, 20), st.integers(0, 800 * 24))
def test_given_any_entries_then_the_bound_holds_and_points_are_exact_or_leave_at_most_a_day_late(
    kept: list[Entry], most: int, hours_after: int
) -> None:
    exact = tuple(sorted(kept, key=lambda e: e.occurred_at))
    merged = bounded(exact, most)
    days = {e.occurred_at.astimezone(UTC).date() for e in exact}
    assert len(merged) <= max(most, len(days))
    assert sum(e.points for e in merged) == sum(e.points for e in exact)
    if not exact:
        return
    now = max(e.occurred_at for e in exact) + DAY + timedelta(hours=hours_after)
    window = DEFAULT_RULES

    def counted(held: tuple[Entry, ...], at: datetime) -> int:  # signed, unclamped
        return sum(e.points for e in held if e.occurred_at <= at < window.exits_at(e.occurred_at))

    late = {e.entry_id for e in exact} - {e.entry_id for e in merged}
    if all(e.points >= 0 for e in exact):
        assert counted(exact, now) <= counted(merged, now) <= counted(exact, now - DAY)
    assert not late or any(e.entry_id.startswith("day:") for e in merged)


def test_many_small_credits_in_a_year_leave_the_customer_s_state_small_and_the_points_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(domain, "ENTRIES", 100)  # 3,000 credits against a bound of 100, as 30,000 against 1,000
    store, step, spacing = fresh_store(), Tiering(ProgramBook()), timedelta(hours=2)
    changes = []
    for n in range(3_000):
        changes += apply(step, store, credit("ada", 10, T0 + n * spacing))
    stored = stored_state(store)[b"shop:ada"]
    assert len(stored) < 30_000, f"{len(stored)} bytes"
    assert [c["to_tier"] for c in changes] == ["silver", "gold", "diamond"]
    state = messages.load_state(stored)
    assert len(state.entries) <= 366
    last = T0 + 2_999 * spacing
    in_window = sum(1 for n in range(3_000) if T0 + n * spacing > last - timedelta(days=365))
    assert qualifying_points(state.entries, last, DEFAULT_RULES) == 10 * in_window
