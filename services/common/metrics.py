"""Prometheus metrics shared by the stream processors.

Names are `pointstream_<what>_<unit>`; every family of a processor carries its `service`. Dashboards
(deploy/grafana) and alerts (deploy/prometheus/alerts.yml) use these names: a test checks that each
name they use is exported here or by a service.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from services.common.settings import settings

CONSUMED = Counter("pointstream_events_consumed_total", "Events consumed", ["service", "topic", "type"])
PRODUCED = Counter("pointstream_events_produced_total", "Events produced", ["service", "topic", "type"])
DEAD_LETTERS = Counter(
    "pointstream_dead_letters_total", "Records sent to the dead-letter topic", ["service", "topic", "reason"]
)
TRANSACTIONS = Counter("pointstream_transactions_total", "Kafka transactions by outcome", ["service", "outcome"])
REBALANCES = Counter("pointstream_rebalances_total", "Partition assignments and revocations", ["service", "kind"])
BATCH_SECONDS = Histogram(
    "pointstream_batch_seconds",
    "Processing time of one transactional batch",
    ["service"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENT_LATENCY = Histogram(
    "pointstream_event_latency_seconds",
    "From an event's occurred_at to the commit of the transaction that processed it",
    ["service", "topic"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400),
)
CONSUMER_LAG = Gauge(
    "pointstream_consumer_lag_records",
    "Records between a partition's consumer position and its last stable offset",
    ["service", "topic", "partition"],
)
STATE_EXPIRED = Counter(
    "pointstream_state_records_expired_total",
    "State records deleted by the expiry sweep once their retention window passed",
    ["service"],
)
RESTORED_RECORDS = Counter(
    "pointstream_state_restored_records_total", "Changelog records read into local state by restores", ["service"]
)
RESTORING_PARTITIONS = Gauge(
    "pointstream_state_restoring_partitions", "Partitions whose state is being restored from the changelog", ["service"]
)
STATE_WIPES = Counter(
    "pointstream_state_wipes_total",
    "Partitions whose local state was discarded and restored from the changelog's start",
    ["service", "reason"],
)
POINTS_ISSUED = Counter("pointstream_points_issued_total", "Points credited to customers", ["shop"])


def serve(port: int) -> None:
    """METRICS_HOST is the bind address: 127.0.0.1 by default, 0.0.0.0 in a container."""
    if port:
        start_http_server(port, addr=settings().metrics_host)


def event_time(record: dict[str, Any]) -> float | None:
    """The record's occurred_at as epoch seconds, if it has one."""
    occurred_at = record.get("occurred_at")
    return occurred_at.timestamp() if isinstance(occurred_at, datetime) else None


def observe_event_latency(service: str, topic: str, event_times: Iterable[float]) -> None:
    child, now = EVENT_LATENCY.labels(service, topic), time.time()
    for at in event_times:
        child.observe(max(0.0, now - at))


class LagReporter:
    """Consumer lag per assigned partition: the cached end offset (the last stable offset for a
    read_committed consumer) minus the position, refreshed at most once per `every_s`. A partition
    that has delivered nothing since its assignment has no position yet and is not reported."""

    def __init__(self, service: str, consumer: Any, every_s: float = 1.0) -> None:
        self.service, self.consumer, self.every_s = service, consumer, every_s
        self._reported_at = 0.0
        self._partitions: set[tuple[str, int]] = set()

    def maybe_report(self) -> None:
        if time.monotonic() - self._reported_at < self.every_s:
            return
        self._reported_at = time.monotonic()
        for tp in self.consumer.position(self.consumer.assignment()):
            _, high = self.consumer.get_watermark_offsets(tp, cached=True)
            if tp.offset >= 0 and high >= 0:
                CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(max(0, high - tp.offset))
                self._partitions.add((tp.topic, tp.partition))

    def forget(self, partitions: Iterable[Any]) -> None:
        """Drops the series of revoked partitions, so another instance's report is the only one."""
        for tp in partitions:
            if (tp.topic, tp.partition) in self._partitions:
                self._partitions.discard((tp.topic, tp.partition))
                CONSUMER_LAG.remove(self.service, tp.topic, str(tp.partition))
