"""Rate limits: a token bucket per credential (a key, or a customer token's customer), in each process.

A bucket holds up to `burst` requests and refills at `per_second`; a request takes one or waits.
Pure: the time is passed in (seconds on a monotonic clock). Each gateway process limits on its
own, so N processes behind a balancer allow up to N times the configured rate. A limiter holds at
most `capacity` buckets, so no number of invented credentials (or addresses) exhausts the memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# A bucket refilled for exactly the advertised wait must be allowed despite float rounding.
EPSILON = 1e-9


@dataclass(frozen=True)
class Limit:
    per_second: float
    burst: int

    @property
    def off(self) -> bool:
        return self.per_second <= 0 or self.burst <= 0


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: float


def refill(limit: Limit, bucket: Bucket | None, now: float) -> Bucket:
    """The bucket at `now`; a clock that steps back refills nothing."""
    if bucket is None:
        return Bucket(float(limit.burst), now)
    elapsed = max(0.0, now - bucket.at)
    return Bucket(min(float(limit.burst), bucket.tokens + elapsed * limit.per_second), max(now, bucket.at))


def take(limit: Limit, bucket: Bucket | None, now: float) -> tuple[Bucket, float]:
    """One request at `now`: the bucket after it, and 0 if it may go, else the seconds until one may."""
    current = refill(limit, bucket, now)
    if (wait := due(limit, current)) == 0:
        return Bucket(max(0.0, current.tokens - 1), current.at), 0.0
    return current, wait


def due(limit: Limit, current: Bucket) -> float:
    """0 if the (refilled) bucket holds a request, else the seconds until it does."""
    return 0.0 if current.tokens >= 1 - EPSILON else (1 - current.tokens) / limit.per_second


def retry_after(wait: float) -> int:
    """The `Retry-After` header: whole seconds, at least 1."""
    return max(1, math.ceil(wait))


class Limiter:
    """The buckets of one process, the most recently used last. Full buckets are forgotten now and then (a
    full bucket and none are alike); past `capacity`, the least recently used go first."""

    def __init__(self, limit: Limit, sweep_at: int = 10_000, capacity: int = 100_000) -> None:
        self.limit, self.buckets, self.sweep_at, self.minimum = limit, dict[str, Bucket](), sweep_at, sweep_at
        self.capacity = capacity

    def wait(self, who: str, now: float) -> float:
        """0 if `who` may make a request at `now` (and it is counted), else the seconds to wait."""
        if self.limit.off:
            return 0.0
        self.buckets[who], wait = take(self.limit, self.buckets.pop(who, None), now)
        if len(self.buckets) >= self.sweep_at:
            self.sweep(now)
        while len(self.buckets) > self.capacity:
            del self.buckets[next(iter(self.buckets))]
        return wait

    def due(self, who: str, now: float) -> float:
        """What `wait` would answer, without counting a request."""
        return 0.0 if self.limit.off else due(self.limit, refill(self.limit, self.buckets.get(who), now))

    def sweep(self, now: float) -> None:
        full = [
            who for who, bucket in self.buckets.items() if refill(self.limit, bucket, now).tokens >= self.limit.burst
        ]
        for who in full:
            del self.buckets[who]
        self.sweep_at = max(self.minimum, 2 * len(self.buckets))
