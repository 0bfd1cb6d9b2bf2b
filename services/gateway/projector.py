"""The gateway projector: loyalty.ledger -> PostgreSQL read models, exactly once.

Positions live in PostgreSQL, written in the same transaction as the rows; on start and on
every assignment the consumer seeks to them, so a crash at any moment loses or repeats nothing.
Records it cannot read are counted and logged (the earn service already dead-letters bad input;
anything unreadable here is a bug to see, not to stop the read side for).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import asyncpg
from confluent_kafka import Message, TopicPartition
from prometheus_client import Counter, Histogram

from services.common import kafka, topics
from services.common.codec import Codec, DecodeError
from services.common.settings import settings
from services.gateway import postgres
from services.gateway.readmodel import Entry, Totals, apply

log = logging.getLogger(__name__)
PROJECTED = Counter("pointstream_projector_records_total", "Ledger records projected", ["outcome"])
BATCH = Histogram("pointstream_projector_batch_seconds", "Time to write one batch to PostgreSQL")


class Projector:
    def __init__(self, conn: asyncpg.Connection, loop: asyncio.AbstractEventLoop, batch_size: int = 2000) -> None:
        self.conn, self.loop, self.batch_size = conn, loop, batch_size
        self.codec = Codec()
        self.topic = topics.LEDGER.name
        self.consumer = kafka.consumer(settings().topic_namespace + "gateway-projector")
        self.running = True

    def run(self) -> None:
        self.consumer.subscribe([self.topic], on_assign=self._seek_to_stored_positions)
        try:
            while self.running:
                batch = [m for m in self.consumer.consume(self.batch_size, 0.02) if m.error() is None]
                if batch:
                    self.loop.run_until_complete(self.project(batch))
        finally:
            self.consumer.close()

    def stop(self) -> None:
        self.running = False

    def _seek_to_stored_positions(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        stored = self.loop.run_until_complete(postgres.positions(self.conn, self.topic))
        for tp in partitions:
            tp.offset = stored.get(tp.partition, 0)
        consumer.assign(partitions)

    async def project(self, batch: list[Message]) -> None:
        started = time.perf_counter()
        entries = [e for e in map(self._entry, batch) if e is not None]
        next_offsets = {m.partition() or 0: (m.offset() or 0) + 1 for m in batch}
        async with self.conn.transaction():
            known = await postgres.known_entries(self.conn, [e.entry_id for e in entries])
            fresh = list({e.entry_id: e for e in entries if e.entry_id not in known}.values())
            customers = list({(e.shop_id, e.customer_id) for e in fresh})
            current = await postgres.totals(self.conn, customers)
            rows, touched = [], {}
            for entry in fresh:
                key = (entry.shop_id, entry.customer_id)
                current[key] = apply(current.get(key, Totals()), entry)
                touched[key] = (current[key], entry.partition)
                rows.append((entry, current[key].balance))
            await postgres.write_batch(self.conn, rows, touched, self.topic, next_offsets)
        PROJECTED.labels("projected").inc(len(rows))
        PROJECTED.labels("duplicate").inc(len(entries) - len(rows))
        BATCH.observe(time.perf_counter() - started)

    def _entry(self, msg: Message) -> Entry | None:
        try:
            decoded = self.codec.decode(msg.value())
        except DecodeError as exc:
            PROJECTED.labels("unreadable").inc()
            log.error("unreadable ledger record %s[%s]@%s: %s", msg.topic(), msg.partition(), msg.offset(), exc)
            return None
        r = decoded.record
        if decoded.name != "PointsEarned":
            PROJECTED.labels("unknown_kind").inc()
            return None
        return Entry(
            r["entry_id"], r["shop_id"], r["customer_id"], "earned", r["points"], r["reason"],
            r["source_event_id"], r["occurred_at"], r["lot_id"], r["available_at"], r["expires_at"],
            msg.partition() or 0, msg.offset() or 0,
        )  # fmt: skip


def main() -> None:
    import signal

    from services.common.logs import configure_logging
    from services.common.metrics import serve

    configure_logging("projector")
    port = settings().metrics_port
    serve(9105 if port is None else port)
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(postgres.connect(settings().database_url))
    projector = Projector(conn, loop)
    signal.signal(signal.SIGTERM, lambda *_: projector.stop())
    signal.signal(signal.SIGINT, lambda *_: projector.stop())
    projector.run()


if __name__ == "__main__":
    main()
