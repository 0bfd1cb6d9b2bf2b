"""The Kafka transaction of a stream processor's batch, patient with outages (see processor.py).

librdkafka's rules: a retriable error of a commit or an abort is retried; an abortable one is
answered with an abort. A fatal error ends the process when the producer was fenced (another instance
with the same transactional id took over); any other fatal error (a transaction the coordinator ended
on its own while the broker was away, INVALID_TXN_STATE) breaks only this producer: a new one takes
the same transactional id, and the batch is tried again. Anything the broker cannot answer now is
waited for with the processor's `Backoff`, never skipped.

Only an acknowledged abort is a known outcome. A commit that failed otherwise may have committed after
all (the broker went away between writing the commit and answering it; librdkafka issue 4558), so
the processor's view cannot be trusted: a new producer takes the transactional id, whose
`init_transactions` returns only once the coordinator has finished what the old one left (committed
or aborted), and then the processor's state is read again from its changelog (`reload`) and the
consumer rewound to the committed offsets. Both now say the same thing, whatever the outcome was.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition

from services.common import metrics
from services.common.outage import Backoff

log = logging.getLogger(__name__)
T = TypeVar("T")
OFFSETS_TIMEOUT_S = 10.0
SETTLE_KEY = b"\x00settle"
"""The changelog key of `settle`'s tombstones, which no state uses (a restore deletes a key that is not there)."""
FENCED = {KafkaError._FENCED, KafkaError.PRODUCER_FENCED}


class Transactions:
    def __init__(
        self,
        service: str,
        new_producer: Callable[[], Producer],
        consumer: Any,
        backoff: Backoff,
        reload: Callable[[], None] = lambda: None,
    ) -> None:
        self.service, self.new_producer, self.consumer, self.backoff = service, new_producer, consumer, backoff
        self.reload = reload
        self.producer = new_producer()
        self._stuck: list[Producer] = []

    def start(self) -> None:
        self.patiently(lambda: self.producer.init_transactions(30))

    def commit(self, offsets: list[TopicPartition]) -> None:
        """Adds the consumed offsets and commits; a retriable error (the broker is slow or away) is retried."""
        self._send_offsets(offsets)
        while True:
            try:
                self.producer.commit_transaction()
                break
            except KafkaException as exc:
                error = exc.args[0]
                if not error.retriable() or error.txn_requires_abort():
                    raise
                self.backoff.wait("Kafka", error)
        self.backoff.reset()

    def _send_offsets(self, offsets: list[TopicPartition]) -> None:
        """send_offsets_to_transaction, watched: after a broker restart librdkafka can wait on a group
        coordinator it no longer looks for, past the call's timeout (librdkafka issues 5456, 5511). A call
        still blocked after OFFSETS_TIMEOUT_S counts as a broken producer: it is left to its thread, and a
        new producer takes over the transactional id (which fences the old one and aborts its transaction).
        """
        metadata, outcome = self.consumer.consumer_group_metadata(), list[KafkaException | None]()
        producer = self.producer

        def send() -> None:
            try:
                producer.send_offsets_to_transaction(offsets, metadata, OFFSETS_TIMEOUT_S)
                outcome.append(None)
            except KafkaException as exc:
                outcome.append(exc)

        sender = threading.Thread(target=send, name="send-offsets", daemon=True)
        sender.start()
        sender.join(OFFSETS_TIMEOUT_S + 5)
        if sender.is_alive():
            self._stuck.append(producer)  # never destroyed while its call runs
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "sending offsets did not return", fatal=True))
        if outcome[0] is not None:
            raise outcome[0]

    def retry_later(self, dependency: str, exc: Exception) -> None:
        """Undoes the open transaction (abort, rewind to the committed offsets), then waits before a retry.
        An abort the coordinator did not acknowledge leaves the outcome to a new producer, and the state
        is read again from the changelog."""
        metrics.TRANSACTIONS.labels(self.service, "aborted").inc()
        try:
            if isinstance(exc, KafkaException) and exc.args[0].fatal():
                raise exc
            aborted = self._abort()
            if not aborted:
                self._renew(KafkaError(KafkaError._STATE, "the last transaction's outcome is unknown"))
        except KafkaException as fatal:
            self._renew(fatal.args[0])
            aborted = False
        if not aborted:
            self.patiently(self.reload)
        self.patiently(self._rewind)
        self.backoff.wait(dependency, exc)

    def _renew(self, error: KafkaError) -> None:
        if error.code() in FENCED:
            log.error("fenced: another instance took over this transactional id, exiting: %s", error)
            raise KafkaException(error)
        log.warning("the producer is broken (%s): a new one takes over its transactional id", error)
        self.producer = self.new_producer()
        self.start()

    def _abort(self) -> bool:
        """True once the coordinator acknowledged the abort; False when librdkafka refuses it without
        saying why the transaction ended (no transaction open, or a commit still settling)."""
        while True:
            try:
                self.producer.abort_transaction()
                return True
            except KafkaException as exc:
                error = exc.args[0]
                if error.fatal():
                    raise
                if not error.retriable():
                    return False
                self.backoff.wait("Kafka", error)

    def settle(self, topic: str, partitions: list[int]) -> None:
        """Commits a transaction of one tombstone (of a key no state uses) per partition of `topic`: its
        commit marker decides the records this transactional id left undecided there (statestore.py)."""

        def once() -> None:
            self.producer.begin_transaction()
            try:
                for partition in partitions:
                    self.producer.produce(topic, None, SETTLE_KEY, partition=partition)
                self.producer.commit_transaction()
            except KafkaException:
                with contextlib.suppress(KafkaException):
                    self.producer.abort_transaction()
                raise

        self.patiently(once)

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
            return result
