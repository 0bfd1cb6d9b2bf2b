"""PostgreSQL stopped while the redeem service decides redemptions and cancellations: every request
is decided exactly once, nothing is dead-lettered, and the reward stock is what the decisions say."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import asyncpg

from services.common import kafka, topics
from services.redeem import stock
from tests.bench import harness
from tests.conftest import LOGS, ProcessFactory
from tests.integration.redeem.test_redeem_processor import (
    SHOP,
    T0,
    codec,
    credit,
    credits_applied,
    outcomes,
    publish,
    request,
    reward,
)
from tests.servers import PrivatePostgres

CUSTOMERS, STOCK = 60, 30


def cancel(customer: str, redemption_id: str) -> tuple[bytes, bytes]:
    record = {"event_id": f"cancel-{redemption_id}", "shop_id": SHOP, "customer_id": customer,
              "occurred_at": T0 + timedelta(minutes=5), "redemption_id": redemption_id, "reason": "returned",
              "actor": "test"}  # fmt: skip
    return topics.customer_key(SHOP, customer), codec.encode("RedemptionCancelled", record)


def test_redemptions_and_cancellations_through_a_database_outage_are_each_decided_once(
    services: ProcessFactory, private_postgres: PrivatePostgres, private_schema: str
) -> None:
    log, seen = (
        LOGS / "e2e-redeem.log",
        (LOGS / "e2e-redeem.log").stat().st_size if (LOGS / "e2e-redeem.log").exists() else 0,
    )
    publish([reward("mug", stock=STOCK)] + [credit(f"c{i}", 150, f"lot-{i}") for i in range(CUSTOMERS)])
    services("services.redeem", DATABASE_URL=private_postgres.url, DATABASE_SCHEMA=private_schema, BATCH_SIZE="10")
    credits_applied()
    traffic: list[tuple[bytes, bytes]] = []
    for i in range(CUSTOMERS):
        _, key, value = request(f"c{i}", f"r-{i}", "mug")
        traffic += [(key, value)] + ([cancel(f"c{i}", f"r-{i}")] if i % 3 == 0 else [])
    publisher = threading.Thread(target=paced, args=(traffic, 20.0))
    publisher.start()  # 80 records over 4 s; the database is away for 5 s from the first second
    time.sleep(1)
    private_postgres.stop()
    time.sleep(5)
    private_postgres.start()
    publisher.join()

    found = outcomes(len(traffic))
    decisions = [r for r in found if "command_id" not in r and "points_restored" not in r]
    reversals = [r["redemption_id"] for r in found if "points_restored" in r]
    refused_cancels = [r["command_id"] for r in found if "command_id" in r]
    assert sorted(r["redemption_id"] for r in decisions) == sorted(f"r-{i}" for i in range(CUSTOMERS))
    assert sorted(reversals + refused_cancels) == sorted(f"r-{i}" for i in range(0, CUSTOMERS, 3))
    approved = {r["redemption_id"] for r in decisions if "points" in r}
    assert set(reversals) <= approved
    assert harness.read_all(topics.DLQ.name) == [], "an outage dead-letters nothing"
    assert held(private_postgres.url, private_schema) == len(approved) - len(reversals) <= STOCK
    assert "PostgreSQL unavailable" in log.read_bytes()[seen:].decode(), "the outage was met and waited out"


def paced(records: list[tuple[bytes, bytes]], per_second: float) -> None:
    producer = kafka.producer()
    for key, value in records:
        producer.produce(topics.REDEMPTION_REQUESTS.name, value, key)
        producer.poll(0)
        time.sleep(1 / per_second)
    assert producer.flush(30) == 0


def held(url: str, schema: str) -> int:
    async def read() -> int:
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            return await stock.reserved(conn, SHOP, "mug")
        finally:
            await conn.close()

    return asyncio.run(read())
