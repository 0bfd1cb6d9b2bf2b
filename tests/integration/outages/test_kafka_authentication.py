"""A broker that asks for SASL logins: every kind of client the engine makes logs in with its settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaError, KafkaException

from services.common import admin, kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from tests.servers import PrivateKafka

PASSWORD = "a-long-password-for-the-loyalty-engine"


@pytest.fixture(scope="module")
def authenticating_kafka() -> Iterator[PrivateKafka]:
    broker = PrivateKafka(sasl_users={"loyalty": PASSWORD})
    try:
        broker.start()
        yield broker
    finally:
        broker.remove()


@pytest.fixture
def logged_in(authenticating_kafka: PrivateKafka, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    bootstrap = f"127.0.0.1:{authenticating_kafka.sasl_port}"
    for name, value in {
        "KAFKA_BOOTSTRAP": bootstrap, "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "PLAIN",
        "KAFKA_SASL_USERNAME": "loyalty", "KAFKA_SASL_PASSWORD": PASSWORD, "TOPIC_NAMESPACE": "sasl.",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    yield bootstrap
    settings.cache_clear()


def test_topics_are_created_and_an_event_goes_through_a_transaction_and_back_with_sasl_logins(logged_in: str) -> None:
    admin.create_topics(3)
    codec, name = Codec(), topics.TASKS.name
    producer = kafka.producer("sasl-test-1")
    producer.init_transactions(30)
    producer.begin_transaction()
    record = {"event_id": "e-1", "shop_id": "north", "customer_id": "ada", "occurred_at": 1_700_000_000_000,
              "task": "signup", "ref": None}  # fmt: skip
    kafka.produce(producer, name, codec.encode("TaskCompleted", record, name), b"north:ada")
    producer.commit_transaction(30)
    consumer = kafka.consumer("sasl-test")
    consumer.subscribe([name])
    try:
        read = next(m for _ in range(60) for m in consumer.consume(10, 1.0) if kafka.readable(m))
    finally:
        consumer.close()
    assert (read.key(), codec.decode(read.value()).record["event_id"]) == (b"north:ada", "e-1")


def test_a_wrong_password_is_refused_by_the_broker(logged_in: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "not-the-password")
    settings.cache_clear()
    errors: list[KafkaError] = []
    producer = kafka.producer(error_cb=errors.append)
    for _ in range(100):
        if errors:
            break
        producer.poll(0.1)
    assert [e.code() for e in errors][:1] == [KafkaError._AUTHENTICATION]
    with pytest.raises(KafkaException):
        kafka.admin().list_topics(timeout=5)
