"""The private servers that outage tests stop: they come back on the same data and ports."""

from __future__ import annotations

import asyncio

import asyncpg
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from tests.servers import PrivateKafka, PrivatePostgres


def test_a_private_broker_killed_and_started_again_keeps_its_records(private_kafka: PrivateKafka) -> None:
    admin = AdminClient({"bootstrap.servers": private_kafka.bootstrap})
    admin.create_topics([NewTopic("kept", 1, 1)])["kept"].result(30)
    producer = Producer({"bootstrap.servers": private_kafka.bootstrap, "acks": "all"})
    producer.produce("kept", b"before the kill")
    assert producer.flush(30) == 0

    private_kafka.stop(kill=True)
    private_kafka.start()

    consumer = Consumer({"bootstrap.servers": private_kafka.bootstrap, "group.id": "reader",
                         "auto.offset.reset": "earliest"})  # fmt: skip
    consumer.subscribe(["kept"])
    values = [m.value() for m in consumer.consume(1, 30) if m.error() is None]
    consumer.close()
    assert values == [b"before the kill"]


def test_a_private_database_stopped_and_started_again_keeps_its_rows(private_postgres: PrivatePostgres) -> None:
    async def write() -> None:
        conn = await asyncpg.connect(private_postgres.url)
        await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
        await conn.close()

    async def read() -> int:
        conn = await asyncpg.connect(private_postgres.url)
        try:
            return int(await conn.fetchval("SELECT sum(n) FROM kept"))
        finally:
            await conn.close()

    asyncio.run(write())
    private_postgres.stop()
    private_postgres.start()
    assert asyncio.run(read()) == 1
