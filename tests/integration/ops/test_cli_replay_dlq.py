"""`pointstream replay-dlq` on real Kafka: each dead letter goes back to its source once, whatever runs after."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from services.cli.pointstream import main
from services.common import kafka, logscan, topics
from services.common.codec import Codec
from services.common.replay import Filter, replay

AT = datetime(2026, 5, 1, tzinfo=UTC)


def dead_letter(number: int, source: str, reason: str, partition: int = 1) -> dict[str, Any]:
    return {
        "source_topic": source, "source_partition": partition, "source_offset": number,
        "original_key": f"north:c{number}".encode(), "original_value": f"bytes of event {number}".encode(),
        "reason": reason, "error_type": "KeyError", "service": "earn", "failed_at": AT,
    }  # fmt: skip


def publish(letters: list[dict[str, Any]]) -> None:
    codec, producer = Codec(), kafka.producer()
    for letter in letters:
        producer.produce(topics.DLQ.name, codec.encode("DeadLetter", letter), letter["original_key"])
    assert producer.flush(30) == 0


def read(topic: str) -> list[tuple[int, bytes | None, bytes | None]]:
    """(partition, key, value) of every record on the topic now."""
    consumer = logscan.scan_consumer("test-reader")
    try:
        found = logscan.spans(consumer, logscan.topic_partitions(consumer, [topic]))
        return [(m.partition() or 0, m.key(), m.value()) for batch in logscan.batches(consumer, found) for m in batch]
    finally:
        consumer.close()


def quiet(line: str) -> None:
    pass


def test_a_dead_letter_replayed_lands_on_its_source_topic_once_and_a_second_run_sends_nothing(
    namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    publish([dead_letter(7, topics.ORDERS.name, "KeyError: 'currency'")])

    main(["replay-dlq"])
    main(["replay-dlq"])

    assert read(topics.ORDERS.name) == [(1, b"north:c7", b"bytes of event 7")]
    runs = [line for line in capsys.readouterr().out.splitlines() if line.startswith("replay-dlq:")]
    assert [line.split(",")[0] for line in runs] == [
        "replay-dlq: re-sent 1 dead letter(s)", "replay-dlq: re-sent 0 dead letter(s)",
    ]  # fmt: skip


def test_a_dry_run_lists_what_it_would_send_and_sends_nothing(namespace: str) -> None:
    publish([dead_letter(1, topics.ORDERS.name, "boom")])
    shown: list[str] = []
    assert replay(Filter(), dry_run=True, show=shown.append, progress=False).sent == 1
    assert len(shown) == 1
    assert shown[0].startswith("would send dlq[")
    assert "reason=boom" in shown[0]
    assert read(topics.ORDERS.name) == []
    assert replay(Filter(), show=quiet, progress=False).sent == 1


def test_filters_and_the_limit_choose_what_goes_and_leave_the_rest_for_later(namespace: str) -> None:
    publish([
        dead_letter(1, topics.ORDERS.name, "rule bug"), dead_letter(2, topics.TASKS.name, "rule bug"),
        dead_letter(3, topics.ORDERS.name, "DecodeError"), dead_letter(4, topics.ORDERS.name, "rule bug"),
    ])  # fmt: skip
    bug_in_orders = Filter("shop.orders", "rule")
    assert replay(bug_in_orders, limit=1, show=quiet, progress=False).sent == 1
    assert replay(bug_in_orders, show=quiet, progress=False).sent == 1
    assert replay(bug_in_orders, show=quiet, progress=False).sent == 0
    assert sorted(v or b"" for _, _, v in read(topics.ORDERS.name)) == [b"bytes of event 1", b"bytes of event 4"]
    assert replay(Filter(reason="rule bug"), show=quiet, progress=False).sent == 3  # its own cursor
    assert [v for _, _, v in read(topics.TASKS.name)] == [b"bytes of event 2"]


def test_the_cursor_is_the_replay_groups_committed_offsets(namespace: str) -> None:
    publish([dead_letter(1, topics.ORDERS.name, "x"), dead_letter(2, topics.ORDERS.name, "x", partition=2)])
    done = replay(Filter(), show=quiet, progress=False)
    consumer = kafka.consumer(done.group)
    try:
        committed = consumer.committed([TopicPartition(topics.DLQ.name, p) for p in range(3)], timeout=15)
    finally:
        consumer.close()
    assert sum(tp.offset for tp in committed if tp.offset > 0) == 2
