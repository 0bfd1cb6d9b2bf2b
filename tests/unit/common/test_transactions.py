"""The transaction adapter's answers to librdkafka's errors, with stand-ins for the producer and consumer.

What matters: only an acknowledged abort is trusted to have undone a batch. Any other ending settles
through a new producer and reloads the state, so a commit that went through after all is never
processed again on stale state.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from services.common.outage import Backoff
from services.common.transactions import Transactions


def error(code: int, *, retriable: bool = False, fatal: bool = False, abortable: bool = False) -> KafkaException:
    return KafkaException(KafkaError(code, "stand-in", fatal=fatal, retriable=retriable, txn_requires_abort=abortable))


class Producer:
    def __init__(self, commits: list[KafkaException | None], aborts: list[KafkaException | None]) -> None:
        self.commits, self.aborts, self.calls = commits, aborts, list[str]()

    def init_transactions(self, timeout: float) -> None:
        self.calls.append("init")

    def send_offsets_to_transaction(self, offsets: Any, metadata: Any, timeout: float) -> None:
        self.calls.append("offsets")

    def commit_transaction(self) -> None:
        self.calls.append("commit")
        if outcome := self.commits.pop(0):
            raise outcome

    def abort_transaction(self) -> None:
        self.calls.append("abort")
        if outcome := self.aborts.pop(0):
            raise outcome


class Consumer:
    def __init__(self) -> None:
        self.seeks: list[TopicPartition] = []

    def consumer_group_metadata(self) -> object:
        return object()

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition("orders", 0)]

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [TopicPartition(tp.topic, tp.partition, 7) for tp in partitions]

    def seek(self, tp: TopicPartition) -> None:
        self.seeks.append(tp)


def transactions(*producers: Producer) -> tuple[Transactions, Consumer, list[str]]:
    queue, consumer, reloads = list[Any](producers), Consumer(), list[str]()
    txn = Transactions(
        "earn", lambda: queue.pop(0), consumer, Backoff("earn", sleep=lambda _: None), lambda: reloads.append("reload")
    )
    return txn, consumer, reloads


def commit_then_retry(txn: Transactions) -> None:
    try:
        txn.commit([TopicPartition("orders", 0, 8)])
    except KafkaException as exc:
        txn.retry_later("Kafka", exc)


def test_a_retriable_commit_error_is_retried_and_commits() -> None:
    producer = Producer([error(KafkaError._TIMED_OUT, retriable=True), None], [])
    txn, consumer, reloads = transactions(producer)
    commit_then_retry(txn)
    assert producer.calls == ["offsets", "commit", "commit"]
    assert (consumer.seeks, reloads) == ([], [])


def test_an_abortable_commit_error_aborts_rewinds_and_keeps_the_state() -> None:
    producer = Producer([error(KafkaError.INVALID_PRODUCER_EPOCH, abortable=True)], [None])
    txn, consumer, reloads = transactions(producer)
    commit_then_retry(txn)
    assert producer.calls == ["offsets", "commit", "abort"]
    assert [tp.offset for tp in consumer.seeks] == [7]
    assert reloads == [], "an acknowledged abort undid the batch: the state in memory is right"


def test_a_commit_of_unknown_outcome_settles_through_a_new_producer_and_reloads_the_state() -> None:
    """The broker went away between writing the commit and answering it: librdkafka refuses the abort."""
    broken = Producer([error(KafkaError.UNKNOWN)], [error(KafkaError._STATE)])
    fresh = Producer([], [])
    txn, consumer, reloads = transactions(broken, fresh)
    commit_then_retry(txn)
    assert txn.producer is cast(Any, fresh)
    assert fresh.calls == ["init"], "init_transactions settles what the old one left"
    assert reloads == ["reload"], "the state is read again from the changelog"
    assert [tp.offset for tp in consumer.seeks] == [7]


def test_a_fatal_error_renews_the_producer_and_reloads_the_state() -> None:
    broken = Producer([error(KafkaError.INVALID_TXN_STATE, fatal=True)], [])
    fresh = Producer([], [])
    txn, _, reloads = transactions(broken, fresh)
    commit_then_retry(txn)
    assert txn.producer is cast(Any, fresh)
    assert reloads == ["reload"]


def test_a_fenced_producer_ends_the_process() -> None:
    txn, _, _ = transactions(Producer([error(KafkaError.PRODUCER_FENCED, fatal=True)], []))
    with pytest.raises(KafkaException):
        commit_then_retry(txn)
