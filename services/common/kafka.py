"""confluent-kafka configuration shared by every producer, consumer and admin client of the project.

Every client takes the connection and security settings from `client_config` (KAFKA_BOOTSTRAP,
KAFKA_SECURITY_PROTOCOL, SASL and TLS), so one set of variables points the whole engine at a
managed, authenticated Kafka.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

from services.common.settings import Settings, settings


def client_config(bootstrap: str | None = None) -> dict[str, Any]:
    """Where the brokers are and how to authenticate to them (librdkafka property names)."""
    return {"bootstrap.servers": bootstrap or settings().kafka_bootstrap} | security_config(settings())


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


def producer_config(transactional_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = client_config() | {
        # Java-compatible placement: Python, Java and shop producers agree on partitions (the contract).
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


def producer(transactional_id: str | None = None, **overrides: Any) -> Producer:
    return Producer(producer_config(transactional_id, **overrides))


def consumer(group_id: str | None, **overrides: Any) -> Consumer:
    return Consumer(consumer_config(group_id, **overrides))


def admin(bootstrap: str | None = None) -> AdminClient:
    return AdminClient(client_config(bootstrap))
