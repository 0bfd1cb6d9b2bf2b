"""Raw Kafka rates for the benchmark's messages: produce (acks=all, idempotent) and consume, with the CPU
this process spent on each (librdkafka's threads included) per message."""

from __future__ import annotations

import time

from confluent_kafka import TopicPartition

from services.common import kafka
from services.common.settings import settings
from tests.bench import figures, harness, procstat


def produce_rate(messages: list[tuple[bytes, bytes]], topic: str) -> dict[str, float]:
    cpu = procstat.own_cpu_seconds()
    seconds = harness.produce(messages, topic)
    cpu = procstat.own_cpu_seconds() - cpu
    size = sum(len(v) + len(k) for k, v in messages)
    return {"events_per_s": len(messages) / seconds, "mb_per_s": size / seconds / 1e6, "seconds": seconds,
            "cpu_us_per_event": figures.per_event_us(cpu, len(messages))}  # fmt: skip


def consume_rate(topic: str, count: int) -> dict[str, float]:
    consumer = kafka.consumer(None)
    consumer.assign([TopicPartition(topic, p, 0) for p in range(settings().partitions)])
    started, seen, cpu = time.perf_counter(), 0, procstat.own_cpu_seconds()
    while seen < count:
        seen += sum(1 for m in consumer.consume(5000, 0.5) if m.error() is None)
        if time.perf_counter() - started > 120:
            break
    seconds, cpu = time.perf_counter() - started, procstat.own_cpu_seconds() - cpu
    consumer.close()
    return {"events_per_s": seen / seconds, "seconds": seconds, "cpu_us_per_event": figures.per_event_us(cpu, seen)}
