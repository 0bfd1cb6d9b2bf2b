"""confluent-kafka configuration shared by every producer, consumer and admin client of the project,
and the produce call of the stream runtime: bounded in size, patient with a full queue.

Every client takes the connection and security settings from `client_config` (KAFKA_BOOTSTRAP,
KAFKA_SECURITY_PROTOCOL, SASL and TLS), so one set of variables points the whole engine at a
managed, authenticated Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

from services.common.outage import Unavailable
from services.common.settings import Settings, settings


def client_config(bootstrap: str | None = None) -> dict[str, Any]:
    """Where the brokers are and how to authenticate to them (librdkafka property names)."""
    return {"bootstrap.servers": bootstrap or settings().kafka_bootstrap} | security_config(settings())


def group_id(name: str) -> str:
    """The consumer group `name` in this deployment (under TOPIC_NAMESPACE): what lag autoscalers watch."""
    return settings().topic_namespace + name


def security_config(configured: Settings) -> dict[str, Any]:
    protocol = configured.kafka_security_protocol
    config: dict[str, Any] = {"security.protocol": protocol}
    if protocol.startswith("SASL_"):
        config |= {
            "sasl.mechanism": configured.kafka_sasl_mechanism,
            "sasl.username": configured.kafka_sasl_username,
            "sasl.password": configured.kafka_sasl_password,
        }
    if protocol in ("SSL", "SASL_SSL"):
        config["ssl.endpoint.identification.algorithm"] = configured.kafka_ssl_endpoint_identification
        tls = {
            "ssl.ca.location": configured.kafka_ssl_ca_location,
            "ssl.certificate.location": configured.kafka_ssl_certificate_location,
            "ssl.key.location": configured.kafka_ssl_key_location,
            "ssl.key.password": configured.kafka_ssl_key_password,
        }
        config |= {name: value for name, value in tls.items() if value}
    return config


log = logging.getLogger(__name__)

MESSAGE_MAX_BYTES = 1_000_000
"""The producer's `message.max.bytes` (librdkafka's default, under the broker's 1,048,588)."""
RECORD_OVERHEAD_BYTES = 512
"""Room for a record's framing inside a batch (lengths, timestamps, attributes), with a margin."""


def producer_config(transactional_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = client_config() | {
        # Java-compatible placement: Python, Java and shop producers agree on partitions (the contract).
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
        # A transaction begun right after the last commit finds the coordinator still writing its markers
        # (CONCURRENT_TRANSACTIONS) and retries: after 100 ms by default, 10 here (exponential up to
        # retry.backoff.max.ms), so back-to-back small transactions do not stall a tenth of a second.
        config["retry.backoff.ms"] = 10
    return config | overrides


def consumer_config(group_id: str | None, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = client_config() | {
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


INCREMENTAL = {"partition.assignment.strategy": "cooperative-sticky"}
"""Incremental rebalancing: a rebalance moves only the partitions that change owner, and the others go on.
The rebalance callbacks then get part of the assignment at a time (a consumer that calls `assign()` in its
callbacks, as the projector does, must stay on the eager `range`)."""


def assignment(topics: int) -> dict[str, str]:
    """The group protocol of a stream processor consuming `topics` co-partitioned topics. The sticky
    assignor balances topic-partitions one by one: it hands partition p of one input to an instance and
    partition p of another input to another, and both would then write p's state (seen on a real broker:
    wrong balances). Only `range` keeps partition p of every input on one instance, so a processor of
    several inputs rebalances eagerly (cheaply: its state catches up from local checkpoints), and one of
    a single input incrementally."""
    return INCREMENTAL if topics == 1 else {}


def producer(transactional_id: str | None = None, **overrides: Any) -> Producer:
    return Producer(producer_config(transactional_id, **overrides))


def consumer(group_id: str | None, **overrides: Any) -> Consumer:
    return Consumer(consumer_config(group_id, **overrides))


def admin(bootstrap: str | None = None) -> AdminClient:
    return AdminClient(client_config(bootstrap))


def produce(
    producer: Producer,
    topic: str,
    value: bytes | None,
    key: bytes,
    partition: int | None = None,
    on_delivery: Callable[[KafkaError | None, Message], None] | None = None,
) -> None:
    """`producer.produce`, waiting while the local queue is full instead of failing with BufferError.

    A sweep can emit more records than `queue.buffering.max.messages`; inside a transaction the queued
    records are still uncommitted, so serving delivery reports until there is room changes nothing else.
    """
    while True:
        try:
            if on_delivery is not None:
                producer.produce(topic, value, key, partition=-1 if partition is None else partition,
                                 on_delivery=on_delivery)  # fmt: skip
            elif partition is None:
                producer.produce(topic, value, key)
            else:
                producer.produce(topic, value, key, partition=partition)
            return
        except BufferError:
            producer.poll(0.05)


def topic_max_bytes(admin: Any, topic: str, timeout_s: float = 10) -> int:
    """The topic's `max.message.bytes` as the broker holds it; `Unavailable` when the broker cannot tell."""
    return int(topic_setting(admin, topic, "max.message.bytes", timeout_s))


def topic_setting(admin: Any, topic: str, name: str, timeout_s: float = 10) -> str:
    """One setting of the topic as the broker holds it; `Unavailable` when the broker cannot tell."""
    from confluent_kafka.admin import ConfigResource  # type: ignore[attr-defined]

    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    try:
        entries = admin.describe_configs([resource], request_timeout=timeout_s)[resource].result(timeout_s)
    except Exception as exc:  # a KafkaException or a timed-out future
        raise Unavailable("Kafka", f"the settings of {topic}: {exc}") from exc
    return str(entries[name].value)


def topic_id(admin: Any, topic: str, timeout_s: float = 10) -> int:
    """The topic's id (its UUID as a number), which a topic of the same name created again does not share."""
    from confluent_kafka import TopicCollection

    try:
        [future] = admin.describe_topics(TopicCollection([topic]), request_timeout=timeout_s).values()
        uuid = future.result(timeout_s).topic_id
    except Exception as exc:  # a KafkaException or a timed-out future
        raise Unavailable("Kafka", f"the id of {topic}: {exc}") from exc
    high, low = int(uuid.get_most_significant_bits()), int(uuid.get_least_significant_bits())
    return (high % 2**64) << 64 | low % 2**64


def next_batch(consumer: Consumer, size: int, wait_s: float) -> list[Message]:
    """The next batch: as soon as one record is there (waiting at most `wait_s`), it and whatever else has arrived,
    up to `size`. A batch is never held back to fill up (`consume` would wait out its timeout): under load the
    records that came while the last batch was processed fill it; at a low rate each is taken as it comes."""
    first = consumer.poll(wait_s)
    if first is None:
        return []
    return [first, *consumer.consume(size - 1, 0)] if size > 1 else [first]


def readable(msg: Message) -> bool:
    """A record, not an event of the consumer; a fatal one raises, others pass (librdkafka recovers by itself)."""
    if (error := msg.error()) is None:
        return True
    if error.fatal():
        raise KafkaException(error)
    if error.code() != KafkaError._PARTITION_EOF:
        log.warning("consumer: %s", error)
    return False
