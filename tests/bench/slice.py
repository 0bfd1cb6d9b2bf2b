"""End-to-end figures of the slice: publish -> earn -> ledger -> projector -> PostgreSQL read model."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from confluent_kafka import Producer

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.loadgen.traffic import orders
from services.schema.migrations import migrate
from tests.bench import figures, harness, meter, procstat


@contextmanager
def pipeline(label: str) -> Iterator[tuple[str, dict[str, int]]]:
    """Earn and the projector as processes, on fresh topics and a fresh database schema; yields the schema and
    the processes' ids by service."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    url = settings().database_url
    asyncio.run(migrate(url, schema))
    env = os.environ | {"DATABASE_SCHEMA": schema, "METRICS_PORT": "0", "LOG_LEVEL": "WARNING"}
    log = open(f".local/logs/bench-{label}.log", "ab")  # noqa: SIM115
    procs = {
        name: subprocess.Popen([sys.executable, "-m", f"services.{name}"], env=env, stdout=log, stderr=log)
        for name in ("earn", "projector")
    }
    try:
        yield schema, {name: proc.pid for name, proc in procs.items()}
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(30)
        asyncio.run(_drop(url, schema))


async def _drop(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await conn.close()


def throughput(messages: list[tuple[bytes, bytes]], expected_entries: int, partitions: int) -> dict[str, Any]:
    """Orders/s from the first ledger row in the read model to the last; CPU per order of each process
    over its own work (`meter`): earn's over the orders it committed past, the projector's over the rows it
    wrote, counted per order as rows per order times µs per row."""
    with harness.isolated_topics("bench-slice-", partitions):
        harness.produce(messages, topics.ORDERS.name)
        with pipeline("slice") as (schema, pids), _rows(schema) as rows:
            earn = meter.Meter("earn", pids["earn"], meter.consumed(settings().topic_namespace + "earn",
                               topics.ORDERS.name, len(messages)), len(messages))  # fmt: skip
            projector = meter.Meter("projector", pids["projector"], rows, expected_entries)
            meter.watch([earn, projector], timeout_s=600, poll_s=0.05)
    seen = projector.figures()
    per_order = {"earn": earn.figures()["cpu_us_per_event"],
                 "projector": seen["cpu_us_per_event"] * expected_entries / len(messages)}  # fmt: skip
    return {
        "events": len(messages),
        "entries": expected_entries,
        "seconds": seen["measured_seconds"],
        "events_per_s": seen["measured_work"] * len(messages) / expected_entries / seen["measured_seconds"],
        "cpu_us_per_event": sum(per_order.values()),
        "cpu_us_per_event_by_process": per_order,
    }


@contextmanager
def _rows(schema: str) -> Iterator[Callable[[], int]]:
    """The ledger rows in the read model now, on one connection held open."""
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(settings().database_url, server_settings={"search_path": schema}))
    try:
        yield lambda: int(loop.run_until_complete(conn.fetchval("SELECT count(*) FROM ledger_entries")))
    finally:
        loop.run_until_complete(conn.close())
        loop.close()


def latency(rate: float, seconds: float, partitions: int) -> dict[str, Any]:
    """Publish at a fixed rate; time from produce() to the entry being in the gateway's read model."""
    warmup = int(rate * 2)  # the first two seconds pay for metadata and first transactions: not counted
    count = int(rate * seconds)
    events = list(orders(warmup + count, seed=9, duplicate_rate=0.0))
    codec = Codec()
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    with harness.isolated_topics("bench-latency-", partitions), pipeline("latency") as (schema, _):
        time.sleep(8)  # let both processes join their groups before the clock starts
        watcher = threading.Thread(target=lambda: asyncio.run(watch_ids(schema, sent, seen, warmup + count)))
        watcher.start()
        producer = Producer(kafka.producer_config() | {"linger.ms": 0})
        started = time.perf_counter()
        for i, (key, record) in enumerate(events):
            value = codec.encode("OrderPaid", record)
            sent[record["event_id"]] = time.perf_counter()
            producer.produce(topics.ORDERS.name, value, key)
            producer.poll(0)
            if (ahead := (i + 1) / rate - (time.perf_counter() - started)) > 0:
                time.sleep(ahead)
        producer.flush(30)
        watcher.join(120)
    measured = [r["event_id"] for _, r in events[warmup:]]
    millis = sorted((seen[e] - sent[e]) * 1000 for e in measured if e in seen)
    return {
        "rate_per_s": rate,
        "events": count,
        "observed": len(millis),
        "warmup_events": warmup,
        "p50_ms": percentile(millis, 50),
        "p99_ms": percentile(millis, 99),
        "max_ms": millis[-1],
        "mean_ms": statistics.fmean(millis),
    }


async def watch_ids(schema: str, sent: dict[str, float], seen: dict[str, float], count: int) -> None:
    conn = await asyncpg.connect(settings().database_url, server_settings={"search_path": schema})
    deadline = time.monotonic() + 120
    try:
        while len(seen) < count and time.monotonic() < deadline:
            waiting = [e for e in list(sent) if e not in seen]
            rows = await conn.fetch(
                "SELECT source_event_id FROM ledger_entries WHERE source_event_id = ANY($1::text[])", waiting
            )
            now = time.perf_counter()
            for row in rows:
                seen[row["source_event_id"]] = now
            await asyncio.sleep(0.005)
    finally:
        await conn.close()


def percentile(sorted_values: list[float], p: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def raw_postgres(rows: int = 50_000) -> dict[str, Any]:
    """The PostgreSQL ceiling for ledger-shaped rows: one multi-row insert per 2,000, one transaction; the CPU
    per row is this process's (asyncpg's encoding), over the same inserts."""

    async def run() -> tuple[float, float]:
        conn = await asyncpg.connect(settings().database_url)
        await conn.execute(
            "CREATE TEMP TABLE bench_rows (id text PRIMARY KEY, shop text, customer text, points bigint,"
            " balance bigint, reason text, at timestamptz, part int, off bigint)"
        )
        data = [(f"e{i}", "shop", f"c{i % 500}", i, i, "order", None, 0, i) for i in range(rows)]
        started, cpu = time.perf_counter(), procstat.own_cpu_seconds()
        async with conn.transaction():
            for i in range(0, rows, 2000):
                await conn.executemany("INSERT INTO bench_rows VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", data[i : i + 2000])
        elapsed, cpu = time.perf_counter() - started, procstat.own_cpu_seconds() - cpu
        await conn.close()
        return elapsed, cpu

    seconds, cpu = asyncio.run(run())
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
            "cpu_us_per_event": figures.per_event_us(cpu, rows)}  # fmt: skip
