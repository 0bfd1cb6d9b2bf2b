"""The earn processor on real Kafka: given orders on shop.orders, then exactly these ledger entries."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.processor import Processor
from services.earn.processor import config
from tests.bench import harness
from tests.integration.common.threads import running

codec = Codec()


def order(event_id: str, total_minor: int = 12_345, customer: str = "c-1", shop: str = "shop") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "shop_id": shop,
        "customer_id": customer,
        "occurred_at": datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
        "order_id": f"o-{event_id}",
        "currency": "USD",
        "total_minor": total_minor,
        "lines": [],
    }


def publish(*items: tuple[bytes, bytes]) -> None:
    producer = kafka.producer()
    for key, value in items:
        producer.produce(topics.ORDERS.name, value, key)
    producer.flush(10)


def paid(record: dict[str, Any]) -> tuple[bytes, bytes]:
    return topics.customer_key(record["shop_id"], record["customer_id"]), codec.encode("OrderPaid", record)


def earn_running() -> AbstractContextManager[Processor]:
    return running(Processor(config()))


def wait_for_processed(count: int) -> None:
    deadline = time.monotonic() + 30
    while harness.group_lag(harness.group_of("txn"), topics.ORDERS.name) > 0 or not _committed(count):
        assert time.monotonic() < deadline, "earn did not catch up within 30 s"
        time.sleep(0.2)


def _committed(count: int) -> bool:
    return sum(max(tp.offset, 0) for tp in harness.committed(harness.group_of("txn"), topics.ORDERS.name)) >= count


def test_a_paid_order_becomes_one_ledger_credit_and_its_duplicate_earns_nothing(namespace: str) -> None:
    publish(paid(order("e-1")), paid(order("e-1")), paid(order("e-2", 990)))
    with earn_running():
        wait_for_processed(3)
    ledger = harness.read_all(topics.LEDGER.name)
    assert sorted(record["points"] for _, record, _ in ledger) == [9, 123]
    assert {key for key, _, _ in ledger} == {b"shop:c-1"}


def test_a_restarted_processor_remembers_what_was_applied_before_the_restart(namespace: str) -> None:
    publish(paid(order("e-1")))
    with earn_running():
        wait_for_processed(1)
    publish(paid(order("e-1")), paid(order("e-3", 500)))
    with earn_running():
        wait_for_processed(3)
    assert sorted(r["points"] for _, r, _ in harness.read_all(topics.LEDGER.name)) == [5, 123]


def test_bad_records_go_to_the_dead_letter_topic_with_their_reason_and_processing_continues(namespace: str) -> None:
    wrong_key = (b"shop:someone-else", codec.encode("OrderPaid", order("e-5")))
    publish(
        (b"shop:c-1", b"not avro at all"),
        paid(order("e-4", total_minor=-100)),
        wrong_key,
        (b"shop:c-1", codec.encode("TaskCompleted", {**order("e-6"), "task": "signup", "ref": None})),
        paid({**order("e-8"), "order_id": "o\x00"}),
        paid(order("e-7")),
    )
    with earn_running():
        wait_for_processed(6)
    dead = [record for _, record, _ in harness.read_all(topics.DLQ.name)]
    reasons = sorted(d["reason"] for d in dead)
    assert len(dead) == 5
    assert any("NUL character" in r for r in reasons)
    assert any("not Avro" in r for r in reasons)
    assert any("negative" in r for r in reasons)
    assert any("is not '{shop_id}:{customer_id}'" in r for r in reasons)
    assert any("TaskCompleted does not belong" in r for r in reasons)
    first = next(d for d in dead if "not Avro" in d["reason"])
    assert first["original_value"] == b"not avro at all"
    assert first["source_topic"] == topics.ORDERS.name
    assert first["source_offset"] >= 0
    assert [r["points"] for _, r, _ in harness.read_all(topics.LEDGER.name)] == [123]
