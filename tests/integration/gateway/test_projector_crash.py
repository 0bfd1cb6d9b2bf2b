"""The projector is exactly-once: SIGKILLed mid-stream and restarted, the read models equal the log's fold."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg

from services.common import topics
from services.common.codec import Codec
from tests.bench import harness
from tests.conftest import ProcessFactory

COUNT = 30_000


def ledger_records(count: int) -> list[tuple[bytes, bytes]]:
    rng, codec, at = random.Random(5), Codec(), datetime(2026, 5, 1, tzinfo=UTC)
    out = []
    for i in range(count):
        customer = f"c{int(300 * rng.random() ** 2)}"
        record = {
            "entry_id": f"entry-{i}",
            "shop_id": "shop",
            "customer_id": customer,
            "occurred_at": at,
            "points": rng.randint(0, 500),
            "source_event_id": f"e-{i}",
            "source_type": "OrderPaid",
            "order_id": f"o-{i}",
            "reason": "order",
            "lot_id": f"entry-{i}",
            "available_at": at,
            "expires_at": at + timedelta(days=365),
            "rule_version": 0,
        }
        out.append((f"shop:{customer}".encode(), codec.encode("PointsEarned", record)))
    return out


async def read_models(url: str, schema: str) -> tuple[dict[str, int], int, int]:
    conn = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        balances = {r["customer_id"]: r["balance"] for r in await conn.fetch("SELECT * FROM balances")}
        entries = await conn.fetchval("SELECT count(*) FROM ledger_entries")
        wrong_running_totals = await conn.fetchval(
            """SELECT count(*) FROM (SELECT balance_after, sum(points) OVER (PARTITION BY customer_id
               ORDER BY ledger_offset) AS running FROM ledger_entries) t WHERE balance_after <> running"""
        )
        return balances, entries, wrong_running_totals
    finally:
        await conn.close()


def test_a_projector_killed_mid_batch_resumes_where_its_transaction_left_off(
    services: ProcessFactory, database_url: str, db_schema: str
) -> None:
    records = ledger_records(COUNT)
    harness.produce(records, topics.LEDGER.name)
    for _ in range(3):
        proc = services("services.gateway.projector")
        time.sleep(random.uniform(1.5, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    services("services.gateway.projector")
    deadline = time.monotonic() + 90
    while (state := asyncio.run(read_models(database_url, db_schema)))[1] < COUNT:
        assert time.monotonic() < deadline, f"only {state[1]} of {COUNT} entries projected"
        time.sleep(0.5)
    time.sleep(1)
    balances, entries, wrong_running_totals = asyncio.run(read_models(database_url, db_schema))
    expected: Counter[str] = Counter()
    codec = Codec()
    for _, value in records:
        record = codec.decode(value).record
        expected[record["customer_id"]] += record["points"]
    assert entries == COUNT
    assert wrong_running_totals == 0
    assert balances == dict(expected)
