"""Earn's windows on real Kafka: a duplicate inside the window earns nothing, one beyond it is dead-lettered with its
reason, records past their windows leave tombstones in the changelog, and a refund past the refund window claws
back nothing. Event time is driven by the events' own dates."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import TopicPartition

from services.common import expiry, kafka, topics
from services.common.settings import settings
from services.earn import messages
from tests.bench import harness
from tests.integration.earn.test_earn_processor import codec, earn_running, order, paid, publish, wait_for_processed

START = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
KEY = b"shop:c-1"


def on(day: int, event_id: str) -> dict[str, Any]:
    return order(event_id) | {"occurred_at": START + timedelta(days=day), "total_minor": 10_000}


def refund(day: int, event_id: str, order_id: str) -> tuple[bytes, bytes]:
    record = {k: v for k, v in on(day, event_id).items() if k not in ("currency", "total_minor", "lines")}
    return KEY, codec.encode(
        "OrderRefunded", record | {"order_id": order_id, "refund_id": event_id, "amount_minor": 5_000}
    )


def changelog() -> list[tuple[bytes, bytes | None]]:
    """Every committed record of earn's changelog, tombstones included, in order per partition."""
    consumer = kafka.consumer(None)
    name = topics.EARN_STATE.name
    parts = [TopicPartition(name, p, 0) for p in range(settings().partitions)]
    ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts}
    consumer.assign(parts)
    out: list[tuple[bytes, bytes | None]] = []
    deadline = time.monotonic() + 20
    while any(tp.offset < ends[tp.partition] for tp in consumer.position(parts) if ends[tp.partition] > 0):
        assert time.monotonic() < deadline, "the changelog was not read to its end within 20 s"
        out += [(m.key() or b"", m.value()) for m in consumer.consume(1000, 0.5) if not m.error()]
    consumer.close()
    return out


def dead_letters() -> list[str]:
    return [record["reason"] for _, record, _ in harness.read_all(topics.DLQ.name)]


def entries() -> list[tuple[str, str, int]]:
    """(source event, kind, points) of every ledger entry."""
    ledger = harness.read_all(topics.LEDGER.name)
    return sorted(
        (r["source_event_id"], "clawed_back" if "refund_id" in r else "earned", r["points"]) for _, r, _ in ledger
    )


def test_a_duplicate_inside_the_window_earns_nothing_and_one_beyond_it_is_dead_lettered(namespace: str) -> None:
    publish(paid(on(0, "e-1")), paid(on(31, "e-2")), paid(on(0, "e-1")), paid(on(31, "e-2")), paid(on(20, "e-3")))
    with earn_running():
        wait_for_processed(5)

    assert entries() == [("e-1", "earned", 100), ("e-2", "earned", 100), ("e-3", "earned", 100)]
    [reason] = dead_letters()
    assert reason.startswith("older than the 30-day duplicate window: it cannot be told from a duplicate")


def test_records_past_their_windows_are_tombstoned_and_a_refund_past_the_refund_window_claws_back_nothing(
    namespace: str,
) -> None:
    seen, order_record = messages.seen_key(KEY, "e-1"), messages.order_key(KEY, "o-e-1")
    publish(paid(on(0, "e-1")))
    with earn_running():
        wait_for_processed(1)
        publish(paid(on(31, "e-2")))
        wait_for_processed(2)
        after_a_month = changelog()
        publish(paid(on(401, "e-3")))
        wait_for_processed(3)
        publish(refund(401, "e-4", "o-e-1"))
        wait_for_processed(4)

    assert (seen, None) in after_a_month, "the marker of e-1 is deleted 30 days on"
    assert (order_record, None) not in after_a_month, "its order is kept for refunds"
    deleted = {key for key, value in changelog() if value is None}
    assert {seen, order_record} <= deleted
    assert not [key for key, _ in changelog() if key.startswith(expiry.INDEX)], "the index is local, derived"
    assert entries() == [("e-1", "earned", 100), ("e-2", "earned", 100), ("e-3", "earned", 100)]
    assert dead_letters() == [], "the late refund waits for an order earn no longer remembers: no clawback"
