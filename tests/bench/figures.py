"""The arithmetic of the benchmark's figures, pure: CPU per event, best of runs, rates per slice of a run."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise
from typing import Any


def per_event_us(cpu_s: float, events: int) -> float:
    """Microseconds of CPU per event; NaN when nothing was counted."""
    return cpu_s * 1e6 / events if events > 0 else math.nan


def best_of(runs: Sequence[dict[str, Any]], key: str) -> dict[str, Any]:
    """The run with the highest `key`, with every run's figure and the spread: (best - worst) / best.

    A ceiling is what the machine can do; on a shared machine a run is slowed by others, never sped up,
    so the best run is the ceiling and the spread says how noisy the machine was."""
    if not runs:
        raise ValueError("no runs")
    values = [float(run[key]) for run in runs]
    best = max(range(len(runs)), key=lambda i: values[i])
    top, low = values[best], min(values)
    return dict(runs[best]) | {"runs": values, "spread": (top - low) / top if top > 0 else math.nan}


def ratio(part: float | None, whole: float | None) -> float | None:
    """`part / whole`, or None when either is missing (a part of the bench not run) or the whole is not positive."""
    if part is None or whole is None or not whole > 0:
        return None
    return part / whole


def time_at(samples: Sequence[tuple[float, int]], done: float) -> float:
    """When `done` units of work were reached, interpolated linearly between the samples (time, done so far).
    The samples are in time order and `done` never goes down; `done` must be within the samples' range."""
    progress = [d for _, d in samples]
    i = bisect_left(progress, done)
    if i == 0:
        return samples[0][0]
    if i == len(samples):  # past the last sample by a rounding error
        return samples[-1][0]
    (t0, d0), (t1, d1) = samples[i - 1], samples[i]
    return t0 + (t1 - t0) * (done - d0) / (d1 - d0)


def slice_rates(samples: Sequence[tuple[float, int]], slices: int) -> list[float]:
    """Units per second in each of `slices` equal shares of the work the samples cover, first to last: a
    rate that falls from the first slice to the last is a service slowing as its state grows."""
    if len(samples) < 2 or slices < 1:
        return []
    # The work starts after the last sample that saw none of it yet: startup is not a slow first slice.
    started = next((i for i, (_, done) in enumerate(samples) if done > samples[0][1]), 1) - 1
    samples = samples[started:]
    first, last = samples[0][1], samples[-1][1]
    step = (last - first) / slices
    if step <= 0:
        return []
    # (last - first) * k / slices, not step * k: the last bound is then `last` itself, not a rounding past it.
    bounds = [time_at(samples, first + (last - first) * k / slices) for k in range(slices + 1)]
    return [step / (b - a) if b > a else math.inf for a, b in pairwise(bounds)]
