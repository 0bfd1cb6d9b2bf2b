"""Producing in the stream runtime: a full local queue is waited out, and sizes are checked first."""

from __future__ import annotations

from typing import Any, cast

import pytest
from confluent_kafka import KafkaError, KafkaException, Message, Producer

from services.common import kafka
from services.common.sizes import Sizes, TooLarge
from tests.servers import free_port


def test_a_sweep_larger_than_the_producer_queue_waits_for_room_instead_of_failing_with_buffer_error() -> None:
    reports: list[KafkaError | None] = []
    # No broker answers, so queued records time out (librdkafka looks once a second) and make room.
    producer = Producer({"bootstrap.servers": f"127.0.0.1:{free_port()}", "queue.buffering.max.messages": 5,
                         "message.timeout.ms": 20, "on_delivery": lambda e, _m: reports.append(e)})  # fmt: skip
    for _ in range(5):
        producer.produce("loyalty.ledger", b"expired", b"north:ada")
    with pytest.raises(BufferError):
        producer.produce("loyalty.ledger", b"expired", b"north:ada")
    for _ in range(12):
        kafka.produce(producer, "loyalty.ledger", b"expired", b"north:ada")
    producer.flush(5)
    assert len(reports) == 17


class Admin:
    """An AdminClient's answer to describe_configs for topics whose max.message.bytes is given."""

    def __init__(self, limits: dict[str, int]) -> None:
        self.limits, self.asked = limits, 0

    def describe_configs(self, resources: list[Any], request_timeout: float) -> dict[Any, Any]:
        self.asked += 1
        return {r: Done({"max.message.bytes": Entry(str(self.limits[r.name]))}) for r in resources}


class Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, timeout: float) -> Any:
        return self.value


class Entry:
    def __init__(self, value: str) -> None:
        self.value = value


def test_an_output_is_checked_against_the_smaller_of_the_producer_and_topic_limits_asked_once() -> None:
    admin = Admin({"loyalty.ledger": 1_048_588, "loyalty.triggers": 100_000})
    sizes = Sizes(admin, max_state_bytes=250_000)
    assert sizes.record_limit("loyalty.ledger") == kafka.MESSAGE_MAX_BYTES - kafka.RECORD_OVERHEAD_BYTES
    assert sizes.record_limit("loyalty.triggers") == 100_000 - kafka.RECORD_OVERHEAD_BYTES
    sizes.check_output("loyalty.triggers", "BalanceThresholdCrossed", b"k", b"v" * 99_000)
    with pytest.raises(TooLarge, match=r"BalanceThresholdCrossed it makes for loyalty.triggers is 100001 bytes"):
        sizes.check_output("loyalty.triggers", "BalanceThresholdCrossed", b"k", b"v" * 100_000)
    sizes.record_limit("loyalty.ledger")
    assert admin.asked == 2


def test_state_beyond_its_bound_is_refused_before_it_reaches_the_changelog() -> None:
    sizes = Sizes(Admin({"earn.customer-state": 1_048_588}), max_state_bytes=250_000)
    sizes.check_state("earn.customer-state", {b"north:ada": b"s" * 249_000})
    with pytest.raises(TooLarge, match="MAX_STATE_BYTES"):
        sizes.check_state("earn.customer-state", {b"north:ada": b"s" * 10, b"north:bo": b"s" * 250_000})


def test_a_record_is_a_record_and_a_consumer_event_is_not() -> None:
    assert kafka.readable(event(None))
    assert not kafka.readable(event(KafkaError(KafkaError._PARTITION_EOF)))
    assert not kafka.readable(event(KafkaError(KafkaError._TRANSPORT)))  # librdkafka reconnects by itself
    with pytest.raises(KafkaException, match="fenced"):
        kafka.readable(event(KafkaError(KafkaError._FENCED, "fenced", fatal=True)))


class Event:
    def __init__(self, error: KafkaError | None) -> None:
        self._error = error

    def error(self) -> KafkaError | None:
        return self._error


def event(error: KafkaError | None) -> Message:
    """What a consumer's poll returns, here only its error."""
    return cast(Message, Event(error))
