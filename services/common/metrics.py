"""Prometheus metrics shared by the stream processors."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

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
POINTS_ISSUED = Counter("pointstream_points_issued_total", "Points credited to customers", ["shop"])


def serve(port: int) -> None:
    if port:
        start_http_server(port, addr="127.0.0.1")
