"""The Kafka transaction of a stream processor's batch, patient with outages (see processor.py).

librdkafka's rules: a retriable error of a commit or an abort is retried; an abortable one is
answered with an abort; a fatal one (a fenced producer: another instance took over) ends the process.
Anything the broker cannot answer now is waited for with the processor's `Backoff`, never skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka import KafkaException, TopicPartition

from services.common import metrics
from services.common.outage import Backoff

log = logging.getLogger(__name__)
T = TypeVar("T")


class Transactions:
    def __init__(self, service: str, producer: Any, consumer: Any, backoff: Backoff) -> None:
        self.service, self.producer, self.consumer, self.backoff = service, producer, consumer, backoff

    def commit(self, offsets: list[TopicPartition]) -> None:
        """Adds the consumed offsets and commits; a retriable error (the broker is slow or away) is retried."""
        self.producer.send_offsets_to_transaction(offsets, self.consumer.consumer_group_metadata())
        while True:
            try:
                self.producer.commit_transaction()
                break
            except KafkaException as exc:
                error = exc.args[0]
                if not error.retriable() or error.txn_requires_abort():
                    raise
                self.backoff.wait("Kafka", error)
        metrics.TRANSACTIONS.labels(self.service, "committed").inc()
        self.backoff.reset()

    def retry_later(self, dependency: str, exc: Exception) -> None:
        """Undoes the open transaction (abort, rewind to the committed offsets), then waits before a retry."""
        if isinstance(exc, KafkaException) and exc.args[0].fatal():
            log.error("fatal transaction error (fenced or broken producer), exiting: %s", exc.args[0])
            raise exc
        metrics.TRANSACTIONS.labels(self.service, "aborted").inc()
        self._abort()
        self.patiently(self._rewind)
        self.backoff.wait(dependency, exc)

    def _abort(self) -> None:
        while True:
            try:
                self.producer.abort_transaction()
                return
            except KafkaException as exc:
                error = exc.args[0]
                if error.fatal():
                    raise
                if not error.retriable():
                    return  # no transaction was open (begin failed): nothing to undo
                self.backoff.wait("Kafka", error)

    def _rewind(self) -> None:
        """Consume again from the last committed offsets."""
        assignment = self.consumer.assignment()
        for tp in self.consumer.committed(assignment, timeout=30):
            self.consumer.seek(tp if tp.offset >= 0 else TopicPartition(tp.topic, tp.partition, 0))

    def patiently(self, call: Callable[[], T]) -> T:
        """`call()`, retried after a backoff while Kafka fails with an error that is not fatal."""
        while True:
            try:
                result = call()
            except (KafkaException, TimeoutError) as exc:
                if isinstance(exc, KafkaException) and exc.args[0].fatal():
                    raise
                self.backoff.wait("Kafka", exc)
                continue
            self.backoff.reset()
            return result
