"""The projector: the loyalty logs -> PostgreSQL read models, exactly once.

`python -m services.projector` reads what the topic registry gives it (`topics.inputs_of("projector")`):
loyalty.ledger, loyalty.tiers, loyalty.programs, loyalty.redemption-requests (only the redemption
requests), loyalty.redemption-outcomes and loyalty.rewards. Each batch (up to 1,000 records or
50 ms, from any of them) is one PostgreSQL transaction holding its rows and the partitions' next
offsets; on start and on every assignment the consumer seeks to those stored positions, never to
Kafka's committed offsets, so a SIGKILL at any moment loses or repeats nothing. The positions are
locked for the transaction, so two instances sharing a partition during a rebalance cannot both
apply it. Static group membership (INSTANCE_ID) lets a restarted instance take its partitions back
at once.

Records it cannot read are counted and logged, then skipped (`intake`): input is dead-lettered
upstream, so an unreadable record is a bug to see, not a reason to stop the read side; so are
ledger entries that break the contract (`readmodel.ledger`). The lag gauge covers the ledger only.

A row PostgreSQL refuses (SQLSTATE classes 22, 23, 54: a value out of range, text it cannot store,
an index row too large) stops nobody: the batch is projected again in halves, down to the record,
which goes to loyalty.dlq with the reason, and its position is stored past it. The read models
then lack that record: a skipped ledger entry is missing from its customer's rows, balance and lots,
and the customer's later entries fold without it (their `balance_after` and lots differ from the
log's by it) until it is fixed and replayed (`pointstream replay-dlq`, then `pointstream rebuild`).
A crash between the dead letter and the stored position writes the letter twice, never loses it.
A database outage (`outage.database_outage`) is no record's fault: the batch is retried after a
capped backoff, on a new connection, until it commits (`pointstream_outage_retries_total`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from confluent_kafka import OFFSET_BEGINNING, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client import Gauge, Histogram

from services.common import dlq, kafka, logs, metrics, topics
from services.common.codec import Codec
from services.common.outage import Backoff, Unavailable, database_outage, row_refused
from services.common.settings import settings
from services.common.sizes import Sizes
from services.projector import transaction
from services.projector.intake import RECORDS, Intake
from services.projector.transaction import Consumed
from services.readmodels import messages, postgres
from services.schema import migrations

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH_SECONDS = Histogram(
    "pointstream_projector_batch_seconds",
    "Time to project one batch into PostgreSQL",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PROJECTED = topics.inputs_of("projector")
"""What the projector reads, as the topic registry declares it."""
GROUP = "gateway-projector"
"""The projector's consumer group (under TOPIC_NAMESPACE): its name stays, so a deployment's positions stay its own."""
CATCH_UP_SECONDS = 0.1
LAG = Gauge("pointstream_projector_lag_records", "Ledger records not yet projected", ["partition"])


class Projector:
    def __init__(self, database_url: str, schema: str | None = None, batch_size: int = 1000, wait_s: float = 0.05):
        self.loop = asyncio.new_event_loop()
        self.database_url, self.schema, self.backoff = database_url, schema, Backoff("projector")
        self.conn = self.loop.run_until_complete(postgres.connect(database_url, schema))
        if pending := self.loop.run_until_complete(migrations.pending(self.conn)):
            raise SystemExit(f"the read-model schema is behind ({', '.join(pending)}): run `pointstream migrate`")
        self.topic, self.intake = topics.LEDGER.name, Intake(Codec(), messages.record_types())
        self.topics = tuple(t.name for t in PROJECTED)
        self.batch_size, self.wait_s, self.running = batch_size, wait_s, True
        group = kafka.group_id(GROUP)
        self.consumer = kafka.consumer(group, **{"group.instance.id": f"{group}-{settings().instance_id}"})
        self.dead_letters, self.codec = kafka.producer(), Codec()
        self.sizes = Sizes(AdminClient({"bootstrap.servers": settings().kafka_bootstrap}), settings().max_state_bytes)
        self._lag_reported = self._caught_up = 0.0

    def run(self) -> None:
        self.start()
        try:
            while self.running:
                self.step()
        finally:
            self.close()

    def start(self) -> None:
        self.consumer.subscribe(list(self.topics), on_assign=self._on_assign, on_revoke=self._on_revoke)

    def step(self) -> int:
        """Consumes one batch and projects it; returns how many records it consumed."""
        batch = [m for m in kafka.next_batch(self.consumer, self.batch_size, self.wait_s) if kafka.readable(m)]
        if batch:
            self.patiently(lambda: self.project(batch))
        elif time.monotonic() - self._caught_up > CATCH_UP_SECONDS:
            self._catch_up()
        if time.monotonic() - self._lag_reported > 1:
            self._report_lag()
        return len(batch)

    def stop(self) -> None:
        self.running = False

    def close(self) -> None:
        self.consumer.close()
        self.dead_letters.flush(10)
        if not self.conn.is_closed():
            self.loop.run_until_complete(self.conn.close())
        self.loop.close()

    def patiently(self, work: Callable[[], Awaitable[T]]) -> T:
        """Runs `work()` until it is done: while the database is away, waits (capped backoff) and reconnects."""
        while True:
            try:
                if self.conn.is_closed():
                    self.conn = self.loop.run_until_complete(postgres.connect(self.database_url, self.schema))
                result = self.loop.run_until_complete(work())
            except Exception as exc:
                if not database_outage(exc):
                    raise
                self.conn.terminate()
                self.backoff.wait(getattr(exc, "dependency", "PostgreSQL"), f"{type(exc).__name__}: {exc}")
                continue
            self.backoff.reset()
            return result

    async def project(self, batch: list[Message]) -> None:
        """The batch in one transaction. If PostgreSQL refuses a row, the batch again in halves, down to
        the record it refuses, which is dead-lettered and stepped over."""
        try:
            await self._apply(batch)
        except Exception as exc:
            if not row_refused(exc):
                raise
            if len(batch) == 1:
                self._dead_letter(batch[0], exc)
                await self._apply(batch, skip=True)
                return
            log.warning("PostgreSQL refused a row of %d records (%s); projecting them in halves", len(batch), exc)
            await self.project(batch[: len(batch) // 2])
            await self.project(batch[len(batch) // 2 :])

    def _dead_letter(self, msg: Message, exc: Exception) -> None:
        topic = dlq.topic_name()
        record = dlq.dead_letter(msg, exc, "projector", self.sizes.record_limit(topic))
        kafka.produce(self.dead_letters, topic, self.codec.encode("DeadLetter", record), dlq.key(msg))
        if self.dead_letters.flush(30) > 0:
            raise Unavailable("Kafka", "the dead letter was not acknowledged")
        metrics.DEAD_LETTERS.labels("projector", msg.topic(), type(exc).__name__).inc()
        log.error("dead-lettered %s[%d]@%d: PostgreSQL refused it: %s", msg.topic(), msg.partition(), msg.offset(),
                  record["reason"], extra=logs.about(msg))  # fmt: skip

    async def _apply(self, batch: list[Message], skip: bool = False) -> None:
        """One PostgreSQL transaction: the batch's rows and positions (only its positions when `skip`)."""
        started = time.perf_counter()
        take = self.intake.consumed
        ledger = take(topics.LEDGER.name, batch, messages.ledger_record)
        tiers = take(topics.TIERS.name, batch, messages.tier_change)
        programs = take(topics.PROGRAMS.name, batch, messages.program_record)
        requests = take(topics.REDEMPTION_REQUESTS.name, batch, messages.redemption_request)
        outcomes: Consumed[messages.Outcome] = take(topics.REDEMPTION_OUTCOMES.name, batch, messages.outcome)
        rewards = take(topics.REWARDS.name, batch, messages.reward_record)
        if skip:  # a record dead-lettered: only the positions past it
            ledger, tiers, programs = ledger.passed(), tiers.passed(), programs.passed()
            requests, outcomes, rewards = requests.passed(), outcomes.passed(), rewards.passed()
        outcome = await transaction.project_batch(
            self.conn, ledger, tiers, programs, requests=requests, outcomes=outcomes, rewards=rewards
        )
        # Informational only (lag tooling reads it); positioning always comes from PostgreSQL.
        with contextlib.suppress(KafkaException):
            self.consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in outcome.positions.items()],
                                 asynchronous=True)  # fmt: skip
        for record, reason in outcome.ledger.rejected:
            log.error("ledger entry %s at %s[%d]@%d not applied: %s", record.entry_id, self.topic, record.partition,
                      record.offset, reason, extra=logs.about_entry(record.shop_id, record.customer_id,
                      entry_id=record.entry_id, source_event_id=record.source_event_id))  # fmt: skip
        others = (tiers, programs, requests, outcomes, rewards)
        RECORDS.labels("projected").inc(len(outcome.ledger.rows) + sum(len(c.records) for c in others))
        RECORDS.labels("duplicate").inc(outcome.ledger.duplicates)
        RECORDS.labels("rejected").inc(len(outcome.ledger.rejected))
        RECORDS.labels("already_projected").inc(outcome.stale)
        BATCH_SECONDS.observe(time.perf_counter() - started)

    def _on_assign(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        stored = {t: self.patiently(lambda t=t: postgres.positions(self.conn, t)) for t in self.topics}  # type: ignore[misc]
        for tp in partitions:
            tp.offset = stored.get(tp.topic, {}).get(tp.partition, OFFSET_BEGINNING)
        consumer.assign(partitions)
        metrics.REBALANCES.labels("projector", "assign").inc()
        log.info("assigned %s", {f"{tp.topic}[{tp.partition}]": tp.offset for tp in partitions})

    def _on_revoke(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            if tp.topic == self.topic:
                with contextlib.suppress(KeyError):
                    LAG.remove(str(tp.partition))
        metrics.REBALANCES.labels("projector", "revoke").inc()

    def _catch_up(self) -> None:
        """When idle, stores the consumer's positions past trailing commit markers (see postgres.catch_up)."""
        self._caught_up = time.monotonic()
        consumed = {(tp.topic, tp.partition): tp.offset for tp in self.consumer.position(self.consumer.assignment())}
        if consumed := {k: o for k, o in consumed.items() if o >= 0}:
            self.patiently(lambda: postgres.catch_up(self.conn, consumed))

    def _report_lag(self) -> None:
        self._lag_reported = time.monotonic()
        for tp in self.consumer.position(self.consumer.assignment()):
            if tp.topic != self.topic:
                continue
            _, high = self.consumer.get_watermark_offsets(tp, cached=True)
            if tp.offset >= 0 and high >= 0:
                LAG.labels(str(tp.partition)).set(max(0, high - tp.offset))
