"""The benchmark's arithmetic: CPU per event, the best of runs with its spread, rates per slice of a run."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.bench import figures

rates = st.floats(min_value=1.0, max_value=1e7, allow_nan=False)


@given(st.lists(rates, min_size=1, max_size=8))
def test_the_best_run_is_the_fastest_and_the_spread_is_its_distance_to_the_slowest(values: list[float]) -> None:
    runs = [{"events_per_s": v, "run": i} for i, v in enumerate(values)]
    best = figures.best_of(runs, "events_per_s")
    assert best["events_per_s"] == max(values)
    assert best["runs"] == values
    assert 0 <= best["spread"] < 1
    assert best["spread"] == pytest.approx((max(values) - min(values)) / max(values))
    assert runs[best["run"]]["events_per_s"] == max(values)


def test_there_is_no_best_of_no_runs() -> None:
    with pytest.raises(ValueError, match="no runs"):
        figures.best_of([], "events_per_s")


@given(st.floats(min_value=0, max_value=1e4), st.integers(min_value=1, max_value=10**8))
def test_cpu_per_event_is_microseconds_per_event(cpu_s: float, events: int) -> None:
    assert figures.per_event_us(cpu_s, events) == pytest.approx(cpu_s * 1e6 / events)


def test_cpu_per_event_of_no_events_is_not_a_number() -> None:
    assert math.isnan(figures.per_event_us(1.0, 0))


def test_a_ratio_to_a_part_not_run_is_left_out() -> None:
    assert figures.ratio(5.0, None) is None
    assert figures.ratio(None, 5.0) is None
    assert figures.ratio(5.0, 0.0) is None
    assert figures.ratio(5.0, 10.0) == 0.5


@st.composite
def progress(draw: st.DrawFn) -> list[tuple[float, int]]:
    """Samples (time, work done so far): time strictly rising, work never falling, some work done."""
    steps = draw(st.lists(st.tuples(st.floats(0.01, 10), st.integers(0, 10_000)), min_size=1, max_size=30))
    samples, at, done = [(0.0, 0)], 0.0, 0
    for dt, more in steps:
        at, done = at + dt, done + more
        samples.append((at, done))
    return samples


@given(progress(), st.integers(1, 12))
def test_the_slices_of_a_run_add_up_to_its_time(samples: list[tuple[float, int]], slices: int) -> None:
    found = figures.slice_rates(samples, slices)
    work = samples[-1][1] - samples[0][1]
    if work == 0:
        assert found == []
        return
    assert len(found) == slices
    assert all(r > 0 for r in found)
    began = max(t for t, done in samples if done == samples[0][1])  # the work starts when it first moves
    ended = figures.time_at(samples, samples[-1][1])
    assert sum(work / slices / r for r in found) == pytest.approx(ended - began)


@given(st.integers(1, 10**6), st.integers(2, 50), st.integers(1, 10))
def test_a_steady_run_has_the_same_rate_in_every_slice(per_s: int, count: int, slices: int) -> None:
    samples = [(float(i), per_s * i) for i in range(count)]
    assert figures.slice_rates(samples, slices) == pytest.approx([per_s] * slices, rel=1e-6)


def test_a_run_slowing_down_shows_it_between_its_first_and_last_slice() -> None:
    samples = [(0.0, 0), (1.0, 1000), (3.0, 2000)]
    assert figures.slice_rates(samples, 2) == pytest.approx([1000.0, 500.0])


@given(progress())
def test_time_at_meets_every_sample(samples: list[tuple[float, int]]) -> None:
    for at, done in samples:
        first = next(t for t, d in samples if d == done)  # where work stood still, the first moment it got there
        assert figures.time_at(samples, done) == pytest.approx(first)
        assert first <= at
