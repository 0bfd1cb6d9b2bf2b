"""Token buckets: a burst, then the rate; a refused request is told how long to wait, and that wait is enough."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.gateway.ratelimit import Bucket, Limit, Limiter, retry_after, take

limits = st.builds(Limit, st.floats(0.1, 1000), st.integers(1, 500))
gaps = st.lists(st.floats(0, 5), min_size=1, max_size=300)


def test_a_fresh_credential_may_send_its_burst_at_once_and_then_waits_for_the_rate() -> None:
    limiter = Limiter(Limit(per_second=2, burst=3))
    assert [limiter.wait("key", 100.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.wait("key", 100.0) == 0.5
    assert limiter.wait("key", 100.5) == 0
    assert limiter.wait("other", 100.5) == 0


def test_a_zero_rate_or_burst_turns_the_limit_off() -> None:
    for limit in (Limit(0, 10), Limit(10, 0)):
        limiter = Limiter(limit)
        assert all(limiter.wait("key", 1.0) == 0 for _ in range(1000))
        assert limiter.buckets == {}


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert [retry_after(w) for w in (0.001, 0.5, 1.0, 1.01, 29.2)] == [1, 1, 1, 2, 30]


@given(limits, gaps)
def test_no_window_allows_more_than_the_burst_and_the_rate_over_it(limit: Limit, steps: list[float]) -> None:
    now, bucket, allowed = 0.0, None, []
    for gap in steps:
        now += gap
        bucket, wait = take(limit, bucket, now)
        if wait == 0:
            allowed.append(now)
    for i, start in enumerate(allowed):
        for j in range(i, len(allowed)):
            assert j - i + 1 <= limit.burst + (allowed[j] - start) * limit.per_second + 1e-6


@given(limits, gaps)
def test_a_refused_request_may_go_after_the_wait_it_was_told(limit: Limit, steps: list[float]) -> None:
    now, bucket = 0.0, None
    for gap in steps:
        now += gap
        bucket, wait = take(limit, bucket, now)
        if wait > 0:
            assert take(limit, bucket, now + wait)[1] == 0
            assert 0 <= bucket.tokens < 1
        assert 0 <= bucket.tokens <= limit.burst


@given(limits, st.floats(0, 100), st.floats(0, 100))
def test_a_clock_stepping_back_refills_nothing(limit: Limit, earlier: float, later: float) -> None:
    bucket = Bucket(0.0, max(earlier, later))
    after, wait = take(limit, bucket, min(earlier, later))
    assert wait > 0
    assert after.at == bucket.at


def test_idle_credentials_are_forgotten_once_their_buckets_are_full_again() -> None:
    limiter = Limiter(Limit(per_second=1, burst=2), sweep_at=4)
    for who in ("a", "b", "c"):
        limiter.wait(who, 0.0)
    limiter.wait("d", 10.0)
    assert set(limiter.buckets) == {"d"}
    assert limiter.sweep_at == 4


@given(st.lists(st.tuples(st.integers(0, 50), st.floats(0, 2)), max_size=300), st.integers(1, 20))
def test_a_limiter_never_holds_more_buckets_than_its_capacity(requests: list[tuple[int, float]], capacity: int) -> None:
    limiter, now = Limiter(Limit(per_second=1, burst=2), sweep_at=4, capacity=capacity), 0.0
    for who, gap in requests:
        now += gap
        limiter.wait(f"customer-{who}", now)
        assert len(limiter.buckets) <= capacity


@given(st.integers(1, 20), st.integers(0, 40))
def test_a_limited_credential_stays_limited_until_capacity_others_came_after_it(capacity: int, others: int) -> None:
    limiter = Limiter(Limit(per_second=0.001, burst=1), capacity=capacity)
    limiter.wait("greedy", 0.0)
    for number in range(others):
        limiter.wait(f"invented-{number}", 0.0)
    assert (limiter.due("greedy", 0.0) > 0) is (others < capacity)


def test_asking_when_a_request_may_go_counts_none() -> None:
    limiter = Limiter(Limit(per_second=1, burst=1))
    assert [limiter.due("key", 5.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.wait("key", 5.0) == 0
    assert limiter.due("key", 5.0) == limiter.wait("key", 5.0) == 1.0
