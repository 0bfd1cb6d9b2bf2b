"""A transactional consume-process-produce loop on confluent-kafka (exactly-once).

Each batch is one Kafka transaction holding the output records, the changed per-customer state
(written to the changelog) and the consumed offsets, so a crash at any moment leaves either all
of a batch's effects or none. Producer fencing follows KIP-447: offsets are sent with the
consumer's group metadata, and a restarted instance with the same transactional id fences its
predecessor.

What fails is told apart. A failure that belongs to one record (it does not decode, breaks the
contract, trips a bug in the step, makes an output that cannot be encoded or is too large for the
broker, or state beyond MAX_STATE_BYTES: `sizes`) sends that record to the dead-letter topic inside
the same transaction, with none of its outputs or state changes: the records behind it flow on. An
outage (`outage.Unavailable` from an adapter such as the reward stock, or a Kafka error that is not
fatal) is nobody's record: the transaction is aborted, the consumer rewound to the committed offsets,
and the batch tried again after a capped backoff, for as long as the outage lasts. A fatal Kafka
error (a fenced producer: another instance took over) ends the process.

A service supplies a `Step`: (key, decoded event, state view) -> outputs. The view reads and
writes the state store for the record's partition; writes become changelog records of the batch.
State a step wrote to expire (`expiry`) is swept at the end of the batch, into the same transaction.
It may also supply `prepare`, which sees the batch's records before their steps (to ask an adapter
for all of them in one round trip), and `finish`, run after the steps and before the commit.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client import Counter

from services import limits
from services.common import dlq, expiry, kafka, logs, metrics, statestore, topics
from services.common.codec import Codec, Decoded, DecodeError
from services.common.localstate import Checkpoint, Memory
from services.common.outage import Backoff, Unavailable
from services.common.sizes import Sizes, TooLarge
from services.common.statestore import StateStore, StateView
from services.common.topics import Topic, UndeclaredWrite
from services.common.transactions import Transactions

log = logging.getLogger(__name__)


class Rejected(ValueError):
    """Raised by a step for an event that breaks the contract: it goes to the dead-letter topic."""


@dataclass(frozen=True)
class Output:
    topic: Topic
    name: str
    record: dict[str, Any]
    key: bytes | None = None
    """Defaults to the input record's key. Another customer's key is allowed only for a customer of
    the same partition (a sweep of due customers): the output topics are co-partitioned."""


Step = Callable[[bytes, Decoded, StateView], list[Output]]
Prepare = Callable[[list[tuple[bytes, Decoded, StateView]]], None]
"""Sees a batch's records that decode, in order, each with a view of its partition's state as committed
before the batch (what it writes there is dropped)."""


def logged_at(msg: Message) -> int | None:
    """The record's timestamp as the log keeps it (epoch milliseconds), for steps that bound event times by it."""
    kind, ms = msg.timestamp()
    return None if kind == TIMESTAMP_NOT_AVAILABLE else ms


@dataclass
class ProcessorConfig:
    service: str
    inputs: tuple[Topic, ...]
    changelog: Topic
    step: Step
    batch_size: int = 500
    poll_timeout_s: float = 0.02
    """How long a poll waits for a first record; a batch is what has arrived by then (`kafka.next_batch`)."""
    before_batch: Callable[[], None] | None = None
    """Runs before each poll, e.g. to refresh a global table such as the programs."""
    prepare: Prepare | None = None
    """Runs in each batch's transaction before its steps, e.g. to ask an adapter for the whole batch at once; it
    raises nothing but `Unavailable` (retries the batch)."""
    finish: Callable[[], None] | None = None
    """Runs in each batch's transaction after its steps, before the commit; `Unavailable` retries the batch."""


def undeclared(config: ProcessorConfig) -> None:
    """Refuses a configuration the topic registry does not declare: inputs, changelog and dead letters."""
    service = config.service
    wrong = [t.base for t in config.inputs if not t.consumed_by(service)]
    wrong += [t.base for t in (config.changelog, topics.DLQ) if not t.writes(service)]
    if wrong:
        raise UndeclaredWrite(f"{service} is not declared to use {', '.join(wrong)} (services/common/topics.py)")


def instance_name(service: str) -> str:
    """This instance of `service` (its group and INSTANCE_ID): its transactional id, its static group membership
    and its state directory under STATE_DIR."""
    from services.common.settings import settings

    return f"{kafka.group_id(service)}-{settings().instance_id}"


IDLE_COMMIT_SECONDS = 0.1
PER_RECORD = (DecodeError, Rejected, TooLarge)
"""Expected refusals of one record, dead-lettered without a stack trace; any other error of a step is a bug."""
Encoded = tuple[str, str, bytes, bytes]
"""An output ready to produce: topic, record name, value, key."""


class Processor:
    def __init__(self, config: ProcessorConfig, codec: Codec | None = None) -> None:
        from services.common.settings import settings

        undeclared(config)
        self.config = config
        self.codec = codec or Codec()
        self.running = True
        group, transactional_id = kafka.group_id(config.service), instance_name(config.service)
        # Static membership (the instance's own id): a restarted instance takes its partitions back at once, with
        # no rebalance; one that stops for good gives them up when its session times out.
        static = {"group.instance.id": transactional_id}
        self.consumer = kafka.consumer(group, **kafka.assignment(len(config.inputs)), **static)
        self._admin = AdminClient({"bootstrap.servers": settings().kafka_bootstrap})
        self.store = StateStore(
            config.changelog.name,
            kafka.consumer(None, **statestore.RESTORE_READER),
            settings().state_dir / transactional_id,
            ends=kafka.consumer(None, **{"isolation.level": "read_uncommitted"}),
            settle=lambda partitions: self.transactions.settle(config.changelog.name, partitions),
            memory=Memory(settings().state_cache_mb),
            delete_retention_ms=lambda: int(self._patiently_ask(kafka.topic_setting, "delete.retention.ms")),
            changelog_id=lambda: int(self._patiently_ask(kafka.topic_id)),
            service=config.service,
        )
        self.sizes = Sizes(self._admin, settings().max_state_bytes)
        self.transactions = Transactions(
            config.service,
            lambda: kafka.producer(transactional_id),
            self.consumer,
            Backoff(config.service),
            reload=self._reload_state,
        )
        self._accepts = {t.name: set(t.records) for t in config.inputs}
        self._children: dict[tuple[str, str, str], Any] = {}
        self._declared: dict[tuple[str, str], str] = {}
        """The topic's name for each (topic, record) the service has written: checked against the registry once."""
        self._event_times: dict[str, list[float]] = {}
        self._counts: collections.Counter[tuple[Counter, str, str]] = collections.Counter()
        """Records consumed and produced in the batch, by metric, topic and record name: counted once it commits."""
        self.lag = metrics.LagReporter(config.service, self.consumer)
        self._committed: dict[tuple[str, int], int] = {}
        self._idle_checked = 0.0
        self._batches = 0
        self._delivered: dict[int, int] = {}
        for outcome in ("committed", "aborted"):  # series at 0 from the start, so rates and alerts see them
            metrics.TRANSACTIONS.labels(config.service, outcome)
        for kind in ("assign", "revoke"):
            metrics.REBALANCES.labels(config.service, kind)
        metrics.RESTORED_RECORDS.labels(config.service)
        metrics.RESTORING_PARTITIONS.labels(config.service)

    def run(self) -> None:
        self.transactions.start()
        self.consumer.subscribe(
            list(self._accepts), on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_revoke
        )
        log.info("%s consuming %s", self.config.service, ", ".join(self._accepts))
        try:
            while self.running:
                if self.config.before_batch is not None:
                    self.config.before_batch()
                consumed = kafka.next_batch(self.consumer, self.config.batch_size, self.config.poll_timeout_s)
                batch = [m for m in consumed if kafka.readable(m)]
                if batch:
                    self._process_in_transaction(batch)
                elif time.monotonic() - self._idle_checked > IDLE_COMMIT_SECONDS:
                    self._commit_past_markers()
                self.lag.maybe_report()
        finally:
            self.consumer.close()
            self.store.close()
            with contextlib.suppress(KafkaException):  # a broken producer must not hide why the loop ended
                self.producer.flush(10)

    def stop(self) -> None:
        self.running = False

    @property
    def producer(self) -> Producer:
        """The transactional producer; a new one replaces it after a fatal error that is not a fencing."""
        return self.transactions.producer

    def _on_assign(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        """The partitions given to this instance (all of them after an eager rebalance, the added ones after an
        incremental one): their state catches up from its checkpoint. Not assigning here lets confluent-kafka
        make the assignment itself, eager or incremental, once the callback returns."""
        if partitions:
            self.transactions.patiently(lambda: self.store.restore(sorted({tp.partition for tp in partitions})))
            for tp in self.transactions.patiently(lambda: consumer.committed(partitions, timeout=30)):
                if tp.offset >= 0:
                    self._committed[(tp.topic, tp.partition)] = tp.offset
            log.info("assigned %s", sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions))
        metrics.REBALANCES.labels(self.config.service, "assign").inc()

    def _reload_state(self) -> None:
        """The assigned partitions' state as the changelog holds it (after a transaction of unknown outcome): the
        local state never has the unacknowledged batch, so the changelog's tail past the checkpoint is enough."""
        log.warning("reloading the state from the changelog: the last transaction's outcome was not acknowledged")
        self.store.restore(sorted({tp.partition for tp in self.consumer.assignment()}))

    def _patiently_ask(self, question: Callable[..., Any], *args: Any) -> Any:
        """What the brokers say of the changelog (its delete.retention.ms, its id), waiting while they cannot."""
        while True:
            try:
                return question(self._admin, self.config.changelog.name, *args)
            except Unavailable as exc:
                self.transactions.backoff.wait("Kafka", exc)

    def _on_revoke(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        """Partitions taken away (or lost: another instance may have them already). Their state stays on disk."""
        self.store.drop(sorted({tp.partition for tp in partitions}))
        if partitions:
            log.info("revoked %s", sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions))
        for tp in partitions:
            self._committed.pop((tp.topic, tp.partition), None)
        self.lag.forget(partitions)
        metrics.REBALANCES.labels(self.config.service, "revoke").inc()

    def _process_in_transaction(self, batch: list[Message]) -> None:
        started, started_ms = time.perf_counter(), statestore.now_ms()
        changes: dict[tuple[int, bytes], bytes | None] = {}
        offsets: dict[tuple[str, int], int] = {}
        self._event_times, self._counts = {}, collections.Counter()
        self._batches += 1
        self._delivered = {}
        try:
            self.producer.begin_transaction()
            for msg, decoded in zip(batch, self._prepare(batch), strict=True):
                self._process(msg, changes, decoded)
                offsets[(msg.topic() or "", msg.partition() or 0)] = (msg.offset() or 0) + 1
            expiry.sweep_batch(self.config.service, self.store, changes, (p for _, p in offsets))
            if self.config.finish is not None:
                self.config.finish()
            self._write_changelog(changes)
            self.transactions.commit([TopicPartition(t, p, o) for (t, p), o in offsets.items()])
        except Unavailable as exc:
            self.transactions.retry_later(exc.dependency, exc)
            return
        except KafkaException as exc:
            self.transactions.retry_later("Kafka", exc)
            return
        self._committed.update(offsets)
        self.store.put_all(changes, self._checkpoints(changes, started_ms))
        metrics.TRANSACTIONS.labels(self.config.service, "committed").inc()
        metrics.BATCH_SECONDS.labels(self.config.service).observe(time.perf_counter() - started)
        for (family, topic, record), count in self._counts.items():
            self._counter(family, topic, record).inc(count)
        for topic, event_times in self._event_times.items():
            metrics.observe_event_latency(self.config.service, topic, event_times)

    def _prepare(self, batch: list[Message]) -> list[Decoded | None]:
        """The batch decoded once for `prepare` and the steps (None: a record the step dead-letters)."""
        if self.config.prepare is None:
            return [None] * len(batch)
        decoded: list[Decoded | None] = []
        for msg in batch:
            try:
                decoded.append(self._decoded(msg))
            except Exception:  # its step decodes it again, and dead-letters it
                decoded.append(None)
        views: dict[int, StateView] = {}
        seen = [(msg.key() or b"", d, views.setdefault(d.partition, StateView(self.store, d.partition, {})))
                for msg, d in zip(batch, decoded, strict=True) if d is not None]  # fmt: skip
        self.config.prepare(seen)
        return decoded

    def _decoded(self, msg: Message) -> Decoded:
        """The record as its step sees it; raises what dead-letters it."""
        key, topic = msg.key() or b"", msg.topic() or ""
        read = self.codec.decode(msg.value())
        if read.name not in self._accepts[topic]:
            raise Rejected(f"{read.name} does not belong on {topic}")
        if (breach := limits.breach(read.record, read.name, key)) is not None:
            raise Rejected(str(breach) if breach.message == limits.NUL else f"beyond the contract's limits: {breach}")
        return Decoded(read.name, read.record, topic, msg.partition() or 0, logged_at(msg))

    def _process(
        self, msg: Message, changes: dict[tuple[int, bytes], bytes | None], ready: Decoded | None = None
    ) -> None:
        """One record, all or nothing: its outputs and state changes, or its dead letter."""
        key, partition, topic = msg.key() or b"", msg.partition() or 0, msg.topic() or ""
        decoded: Decoded | None = None
        try:
            decoded = ready if ready is not None else self._decoded(msg)
            view = StateView(self.store, partition, changes)
            outputs = [self._encoded(out, key) for out in self.config.step(key, decoded, view)]
            self.sizes.check_state(self.config.changelog.name, view.staged)
        except Unavailable:
            raise  # an outage, not this record's fault: the batch is retried
        except PER_RECORD as exc:
            self._dead_letter(msg, exc, decoded)
            return
        except Exception as exc:  # a record that trips a bug must not stop the partition behind it
            log.exception("step failed on %s[%d]@%d; dead-lettered", topic, partition, msg.offset() or 0,
                          extra=logs.about(msg, decoded.record if decoded else None))  # fmt: skip
            self._dead_letter(msg, exc, decoded)
            return
        for state_key, value in view.staged.items():
            changes[(partition, state_key)] = value
        self._counts[(metrics.CONSUMED, topic, decoded.name)] += 1
        if (at := metrics.event_time(decoded.record)) is not None:
            self._event_times.setdefault(topic, []).append(at)
        for name, record_name, value, out_key in outputs:
            kafka.produce(self.producer, name, value, out_key)
            self._counts[(metrics.PRODUCED, name, record_name)] += 1

    def _encoded(self, out: Output, key: bytes) -> Encoded:
        if (topic := self._declared.get((out.topic.base, out.name))) is None:
            if not out.topic.writes(self.config.service, out.name):
                raise UndeclaredWrite(f"{self.config.service} is not declared to write {out.name} on {out.topic.base}")
            topic = self._declared[(out.topic.base, out.name)] = out.topic.name
        out_key = out.key or key
        value = self.codec.encode(out.name, out.record, topic)
        self.sizes.check_output(topic, out.name, out_key, value)
        return topic, out.name, value, out_key

    def _write_changelog(self, changes: dict[tuple[int, bytes], bytes | None]) -> None:
        """Once per batch, so a key changed by several events is written once, with its last value (None: a
        tombstone, which compaction removes with the key). The last record of each partition reports its
        offset: the checkpoint the local state reaches once the batch commits. Local keys (the expiry index)
        stay out: the store derives them from the records."""
        changelog = self.config.changelog.name
        logged = [(pk, value) for pk, value in changes.items() if not expiry.local(pk[1])]
        last = dict(pk for pk, _ in logged)  # partition -> its last key of the batch
        report = functools.partial(self._delivery, self._batches)
        for (partition, key), value in logged:
            on_delivery = report if last[partition] == key else None
            kafka.produce(self.producer, changelog, value, key, partition=partition, on_delivery=on_delivery)

    def _delivery(self, batch: int, error: KafkaError | None, msg: Message) -> None:
        """A changelog record's delivery report; one of an earlier (aborted) batch is ignored."""
        if error is None and batch == self._batches:
            self._delivered[msg.partition() or 0] = (msg.offset() or 0) + 1

    def _checkpoints(self, changes: dict[tuple[int, bytes], bytes | None], started_ms: int) -> dict[int, Checkpoint]:
        """Where the committed batch leaves each changed partition's changelog. commit_transaction flushes, so
        the delivery reports have been served; a partition still without one keeps its previous checkpoint
        (its state then runs ahead of it, which a restore replays harmlessly)."""
        changed = {partition for partition, key in changes if not expiry.local(key)}
        if not changed <= self._delivered.keys():
            self.producer.poll(0)
        return {p: Checkpoint(self._delivered[p], started_ms) for p in changed if p in self._delivered}

    def _counter(self, family: Counter, topic: str, record: str) -> Any:
        """Label lookups cost microseconds; the hot path keeps the children."""
        key = (family._name, topic, record)
        if (child := self._children.get(key)) is None:
            child = self._children[key] = family.labels(self.config.service, topic, record)
        return child

    def _dead_letter(self, msg: Message, exc: Exception, decoded: Decoded | None = None) -> None:
        topic = dlq.topic_name()
        record = dlq.dead_letter(msg, exc, self.config.service, self.sizes.record_limit(topic))
        kafka.produce(self.producer, topic, self.codec.encode("DeadLetter", record), dlq.key(msg))
        metrics.DEAD_LETTERS.labels(self.config.service, msg.topic(), type(exc).__name__).inc()
        log.warning("dead-lettered %s[%d]@%d: %s", msg.topic(), msg.partition(), msg.offset(), record["reason"],
                    extra=logs.about(msg, decoded.record if decoded else None))  # fmt: skip

    def _commit_past_markers(self) -> None:
        """When idle, commits the consumer's positions where they stand past the last committed offsets.

        A batch commits each partition's last record + 1, but a transactional input ends with a commit
        marker that only the consumer's position steps over (between the two there are only control
        records). Committing the position lets a reader waiting for this service to reach a log's end
        (read-your-writes) see that it did, instead of one offset short for as long as the log is quiet.
        """
        self._idle_checked = time.monotonic()
        positions = self.consumer.position(self.consumer.assignment())
        ahead = [tp for tp in positions if tp.offset > self._committed.get((tp.topic, tp.partition), -1) >= 0]
        if not ahead:
            return
        try:
            self.producer.begin_transaction()
            self.transactions.commit(ahead)
        except KafkaException as exc:
            self.transactions.retry_later("Kafka", exc)
            return
        self._committed.update({(tp.topic, tp.partition): tp.offset for tp in ahead})
