"""The processors' lag and latency metrics, from a consumer's positions and an event's time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from services.common import metrics


@dataclass
class Partition:
    topic: str
    partition: int
    offset: int = -1001


class FakeConsumer:
    def __init__(self, positions: dict[tuple[str, int], int], ends: dict[tuple[str, int], int]) -> None:
        self.positions, self.ends, self.position_calls = positions, ends, 0

    def assignment(self) -> list[Partition]:
        return [Partition(t, p) for t, p in self.positions]

    def position(self, partitions: list[Partition]) -> list[Partition]:
        self.position_calls += 1
        return [Partition(tp.topic, tp.partition, self.positions[(tp.topic, tp.partition)]) for tp in partitions]

    def get_watermark_offsets(self, tp: Partition, cached: bool = False) -> tuple[int, int]:
        assert cached, "lag must not cost a broker round trip"
        return 0, self.ends[(tp.topic, tp.partition)]


def lag(service: str, topic: str, partition: int) -> float | None:
    labels = {"service": service, "topic": topic, "partition": str(partition)}
    return REGISTRY.get_sample_value("pointstream_consumer_lag_records", labels)


def test_lag_is_the_end_offset_minus_the_position_per_partition() -> None:
    consumer = FakeConsumer({("orders", 0): 40, ("orders", 1): 7}, {("orders", 0): 100, ("orders", 1): 7})
    metrics.LagReporter("lag-a", consumer).maybe_report()
    assert (lag("lag-a", "orders", 0), lag("lag-a", "orders", 1)) == (60, 0)


def test_a_partition_without_a_position_or_an_end_yet_is_not_reported() -> None:
    consumer = FakeConsumer({("orders", 0): -1001, ("orders", 1): 5}, {("orders", 0): 100, ("orders", 1): -1001})
    metrics.LagReporter("lag-b", consumer).maybe_report()
    assert (lag("lag-b", "orders", 0), lag("lag-b", "orders", 1)) == (None, None)


def test_lag_is_refreshed_at_most_once_a_second() -> None:
    consumer = FakeConsumer({("orders", 0): 1}, {("orders", 0): 2})
    reporter = metrics.LagReporter("lag-c", consumer)
    for _ in range(100):
        reporter.maybe_report()
    assert consumer.position_calls == 1


def test_a_revoked_partition_loses_its_series_so_only_its_new_owner_reports_it() -> None:
    consumer = FakeConsumer({("orders", 0): 1, ("orders", 1): 1}, {("orders", 0): 5, ("orders", 1): 5})
    reporter = metrics.LagReporter("lag-d", consumer)
    reporter.maybe_report()
    reporter.forget([Partition("orders", 1), Partition("orders", 2)])
    assert (lag("lag-d", "orders", 0), lag("lag-d", "orders", 1)) == (4, None)


def test_event_latency_counts_from_the_events_own_time() -> None:
    occurred = datetime.now(UTC) - timedelta(seconds=42)
    at = metrics.event_time({"occurred_at": occurred})
    assert at == occurred.timestamp()
    assert metrics.event_time({"shop_id": "s"}) is None
    metrics.observe_event_latency("latency-a", "orders", [at])
    labels = {"service": "latency-a", "topic": "orders"}
    observed = REGISTRY.get_sample_value("pointstream_event_latency_seconds_sum", labels)
    assert observed is not None
    assert 42 <= observed < 50
    assert REGISTRY.get_sample_value("pointstream_event_latency_seconds_bucket", labels | {"le": "30.0"}) == 0
    assert REGISTRY.get_sample_value("pointstream_event_latency_seconds_bucket", labels | {"le": "60.0"}) == 1
