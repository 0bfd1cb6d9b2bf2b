"""The gateway projector: the loyalty logs -> PostgreSQL read models, exactly once.

`python -m services.gateway.projector` reads loyalty.ledger, loyalty.tiers, loyalty.programs,
loyalty.redemption-requests (only the redemption requests), loyalty.redemption-outcomes and
loyalty.rewards. Each batch (up to 1,000 records or 50 ms, from any of them) is one PostgreSQL
transaction holding its rows and the partitions' next offsets; on start and on every assignment
the consumer seeks to those stored positions, never to Kafka's committed offsets, so a
SIGKILL at any moment loses or repeats nothing. The positions are locked for the transaction, so
two instances sharing a partition during a rebalance cannot both apply it. Static group
membership (INSTANCE_ID) lets a restarted instance take its partitions back at once.

Records it cannot read are counted and logged, then skipped (`intake`): input is dead-lettered
upstream, so an unreadable record is a bug to see, not a reason to stop the read side; so are
ledger entries that break the contract (`readmodel.ledger`). The lag gauge covers the ledger only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, Message, TopicPartition
from prometheus_client import Gauge, Histogram

from services.common import kafka, logs, metrics, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.gateway import messages, migrations, postgres, transaction
from services.gateway.intake import RECORDS, Intake
from services.gateway.transaction import Consumed

log = logging.getLogger(__name__)
BATCH_SECONDS = Histogram(
    "pointstream_projector_batch_seconds",
    "Time to project one batch into PostgreSQL",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PROJECTED = (topics.LEDGER, topics.TIERS, topics.PROGRAMS, topics.REDEMPTION_REQUESTS, topics.REDEMPTION_OUTCOMES,
             topics.REWARDS)  # fmt: skip
"""What the projector reads, in the order `project` unpacks them."""
CATCH_UP_SECONDS = 0.1
LAG = Gauge("pointstream_projector_lag_records", "Ledger records not yet projected", ["partition"])


class Projector:
    def __init__(self, database_url: str, schema: str | None = None, batch_size: int = 1000, wait_s: float = 0.05):
        self.loop = asyncio.new_event_loop()
        self.conn = self.loop.run_until_complete(postgres.connect(database_url, schema))
        if pending := self.loop.run_until_complete(migrations.pending(self.conn)):
            raise SystemExit(f"the read-model schema is behind ({', '.join(pending)}): run `pointstream migrate`")
        self.topic, self.intake = topics.LEDGER.name, Intake(Codec(), messages.record_types())
        self.topics = tuple(t.name for t in PROJECTED)
        self.batch_size, self.wait_s, self.running = batch_size, wait_s, True
        group = settings().topic_namespace + "gateway-projector"
        self.consumer = kafka.consumer(group, **{"group.instance.id": f"{group}-{settings().instance_id}"})
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
        batch = [m for m in self.consumer.consume(self.batch_size, self.wait_s) if _readable(m)]
        if batch:
            self.loop.run_until_complete(self.project(batch))
        elif time.monotonic() - self._caught_up > CATCH_UP_SECONDS:
            self._catch_up()
        if time.monotonic() - self._lag_reported > 1:
            self._report_lag()
        return len(batch)

    def stop(self) -> None:
        self.running = False

    def close(self) -> None:
        self.consumer.close()
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()

    async def project(self, batch: list[Message]) -> None:
        started = time.perf_counter()
        ledger_topic, tiers_topic, programs_topic, requests_topic, outcomes_topic, rewards_topic = self.topics
        take = self.intake.consumed
        ledger = take(ledger_topic, batch, messages.ledger_record)
        tiers = take(tiers_topic, batch, messages.tier_change)
        programs = take(programs_topic, batch, messages.program_record)
        requests = take(requests_topic, batch, messages.redemption_request)
        outcomes: Consumed[messages.Outcome] = take(outcomes_topic, batch, messages.outcome)
        rewards = take(rewards_topic, batch, messages.reward_record)
        outcome = await transaction.project_batch(
            self.conn, ledger, tiers, programs, requests=requests, outcomes=outcomes, rewards=rewards
        )
        # Informational only (lag tooling reads it); positioning always comes from PostgreSQL.
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
        stored = {t: self.loop.run_until_complete(postgres.positions(self.conn, t)) for t in self.topics}
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
            self.loop.run_until_complete(postgres.catch_up(self.conn, consumed))

    def _report_lag(self) -> None:
        self._lag_reported = time.monotonic()
        for tp in self.consumer.position(self.consumer.assignment()):
            if tp.topic != self.topic:
                continue
            _, high = self.consumer.get_watermark_offsets(tp, cached=True)
            if tp.offset >= 0 and high >= 0:
                LAG.labels(str(tp.partition)).set(max(0, high - tp.offset))


def _readable(msg: Message) -> bool:
    if (error := msg.error()) is None:
        return True
    if error.fatal():
        raise KafkaException(error)
    if error.code() != KafkaError._PARTITION_EOF:
        log.warning("consumer error: %s", error)
    return False


def main() -> None:
    import signal

    from services.common.credential_check import refuse_weak_credentials
    from services.common.logs import configure_logging

    configure_logging("projector")
    refuse_weak_credentials("the projector", settings(), secrets=False)
    port = settings().metrics_port
    metrics.serve(int(os.environ.get("PROJECTOR_METRICS_PORT", "9105")) if port is None else port)
    projector = Projector(settings().database_url, postgres.configured_schema())
    signal.signal(signal.SIGTERM, lambda *_: projector.stop())
    signal.signal(signal.SIGINT, lambda *_: projector.stop())
    projector.run()


if __name__ == "__main__":
    main()
