"""confluent-kafka configuration shared by every producer and consumer of the project."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, Producer

from services.common.settings import settings


def producer_config(transactional_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": settings().kafka_bootstrap,
        # Java-compatible placement: Python, Java and shop producers agree on partitions (DESIGN §3).
        "partitioner": "murmur2_random",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
    }
    if transactional_id:
        config["transactional.id"] = transactional_id
        config["transaction.timeout.ms"] = 60_000
    return config | overrides


def consumer_config(group_id: str | None, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": settings().kafka_bootstrap,
        "group.id": group_id or "pointstream-reader",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "range",
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 1_000,
        "fetch.wait.max.ms": 50,
    }
    return config | overrides


def producer(transactional_id: str | None = None, **overrides: Any) -> Producer:
    return Producer(producer_config(transactional_id, **overrides))


def consumer(group_id: str | None, **overrides: Any) -> Consumer:
    return Consumer(consumer_config(group_id, **overrides))
