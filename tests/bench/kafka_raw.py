"""Raw Kafka rates for the benchmark's messages: produce (acks=all, idempotent) and consume."""

from __future__ import annotations

import time

from confluent_kafka import TopicPartition

from services.common import kafka
from services.common.settings import settings
from tests.bench import harness


def produce_rate(messages: list[tuple[bytes, bytes]], topic: str) -> dict[str, float]:
    seconds = harness.produce(messages, topic)
    size = sum(len(v) + len(k) for k, v in messages)
    return {"events_per_s": len(messages) / seconds, "mb_per_s": size / seconds / 1e6, "seconds": seconds}


def consume_rate(topic: str, count: int) -> dict[str, float]:
    consumer = kafka.consumer(None)
    consumer.assign([TopicPartition(topic, p, 0) for p in range(settings().partitions)])
    started, seen = time.perf_counter(), 0
    while seen < count:
        seen += sum(1 for m in consumer.consume(5000, 0.5) if m.error() is None)
        if time.perf_counter() - started > 120:
            break
    seconds = time.perf_counter() - started
    consumer.close()
    return {"events_per_s": seen / seconds, "seconds": seconds}
