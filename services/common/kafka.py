"""confluent-kafka configuration shared by every producer and consumer of the project, and the
produce call of the stream runtime: bounded in size, patient with a full queue."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer

from services.common.outage import Unavailable
from services.common.settings import settings

log = logging.getLogger(__name__)

MESSAGE_MAX_BYTES = 1_000_000
"""The producer's `message.max.bytes` (librdkafka's default, under the broker's 1,048,588)."""
RECORD_OVERHEAD_BYTES = 512
"""Room for a record's framing inside a batch (lengths, timestamps, attributes), with a margin."""


def producer_config(transactional_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "bootstrap.servers": settings().kafka_bootstrap,
        # Java-compatible placement: Python, Java and shop producers agree on partitions (DESIGN §3).
        "partitioner": "murmur2_random",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "message.max.bytes": MESSAGE_MAX_BYTES,
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


def produce(producer: Producer, topic: str, value: bytes, key: bytes, partition: int | None = None) -> None:
    """`producer.produce`, waiting while the local queue is full instead of failing with BufferError.

    A sweep can emit more records than `queue.buffering.max.messages`; inside a transaction the queued
    records are still uncommitted, so serving delivery reports until there is room changes nothing else.
    """
    while True:
        try:
            if partition is None:
                producer.produce(topic, value, key)
            else:
                producer.produce(topic, value, key, partition=partition)
            return
        except BufferError:
            producer.poll(0.05)


def topic_max_bytes(admin: Any, topic: str, timeout_s: float = 10) -> int:
    """The topic's `max.message.bytes` as the broker holds it; `Unavailable` when the broker cannot tell."""
    from confluent_kafka.admin import ConfigResource  # type: ignore[attr-defined]

    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    try:
        entries = admin.describe_configs([resource], request_timeout=timeout_s)[resource].result(timeout_s)
    except Exception as exc:  # a KafkaException or a timed-out future
        raise Unavailable("Kafka", f"the limits of {topic}: {exc}") from exc
    return int(entries["max.message.bytes"].value)


def readable(msg: Message) -> bool:
    """A record, not an event of the consumer; a fatal one raises, others pass (librdkafka recovers by itself)."""
    if (error := msg.error()) is None:
        return True
    if error.fatal():
        raise KafkaException(error)
    if error.code() != KafkaError._PARTITION_EOF:
        log.warning("consumer: %s", error)
    return False
