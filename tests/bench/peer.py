"""The peer: the first slice (order -> points -> balance) as a team without Kafka would write it.

One PostgreSQL transaction per order: lock the customer's balance row, compute the points with earn's own
rules (`services.earn.points`, `validation`, `caps`, `events.entry_id`: the code the earn service runs),
insert the ledger entry (a deterministic id and a unique order, so a duplicate inserts nothing), add
the points to the balance. `workers` processes (default: two per core) each hold one connection and take
the orders of their share of the customers, as Kafka's partitions share them among processors, so one
customer's orders stay in order and no two workers wait on the same row.

Its tables live in a schema of their own, created for the run and dropped after it. The throughput run
hands every worker its backlog before the clock starts; the latency run sends orders one by one at a
fixed rate and times them from send to the entry being visible to another connection, measured as
the slice's latency is (`slice.watch_ids`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import statistics
import threading
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

import asyncpg

from services.common.settings import settings
from services.earn import caps, messages, points, validation
from services.earn.events import entry_id
from services.loadgen.traffic import orders
from services.program import Program
from tests.bench import figures, procstat
from tests.bench.expected import expected_balances
from tests.bench.slice import percentile, watch_ids

SPAWN = multiprocessing.get_context("spawn")
"""Fresh interpreters: the bench process holds librdkafka threads a fork would copy mid-flight."""

TABLES = """
CREATE TABLE ledger_entries (
    entry_id text PRIMARY KEY, shop_id text NOT NULL, customer_id text NOT NULL, order_id text NOT NULL,
    source_event_id text NOT NULL, points bigint NOT NULL, balance_after bigint NOT NULL,
    occurred_at timestamptz NOT NULL, available_at timestamptz NOT NULL, expires_at timestamptz NOT NULL,
    UNIQUE (shop_id, order_id)
);
CREATE INDEX ON ledger_entries (shop_id, customer_id, occurred_at);
CREATE TABLE balances (
    shop_id text NOT NULL, customer_id text NOT NULL, points bigint NOT NULL, lifetime_earned bigint NOT NULL,
    orders integer NOT NULL, last_order_at timestamptz NOT NULL, PRIMARY KEY (shop_id, customer_id)
);
"""

PROFILE = "SELECT points, orders, last_order_at FROM balances WHERE shop_id = $1 AND customer_id = $2 FOR UPDATE"
ENTRY = """INSERT INTO ledger_entries VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT DO NOTHING RETURNING entry_id"""
BALANCE = """INSERT INTO balances VALUES ($1, $2, $3, $3, 1, $4) ON CONFLICT (shop_id, customer_id) DO UPDATE
SET points = balances.points + $3, lifetime_earned = balances.lifetime_earned + $3, orders = balances.orders + 1,
    last_order_at = greatest(balances.last_order_at, $4)"""


async def apply(conn: asyncpg.Connection, record: dict[str, Any], program: Program) -> bool:
    """One order in one transaction; False when it earns nothing (a duplicate, or an order the rules refuse)."""
    order = messages.order_paid(record)
    try:
        validation.validate_order(order)
    except validation.ContractViolation:
        return False
    async with conn.transaction():
        row = await conn.fetchrow(PROFILE, order.shop_id, order.customer_id)
        profile = points.Profile(order.customer_id, orders=row["orders"] if row else 0,
                                 last_order_at=row["last_order_at"] if row else None)  # fmt: skip
        earned = points.order_points(order.total_minor, order.currency, order.lines, profile, order.occurred_at,
                                     program).total  # fmt: skip
        available_at, expires_at = caps.lot_dates(order.occurred_at, program, None)
        entry = entry_id(order.shop_id, order.event_id, "earned")
        after = (row["points"] if row else 0) + earned
        if await conn.fetchval(ENTRY, entry, order.shop_id, order.customer_id, order.order_id, order.event_id,
                               earned, after, order.occurred_at, available_at, expires_at) is None:  # fmt: skip
            return False
        await conn.execute(BALANCE, order.shop_id, order.customer_id, earned, order.occurred_at)
    return True


def share(key: bytes, workers: int) -> int:
    """The worker a customer's orders go to (stable across processes, unlike hash())."""
    return zlib.crc32(key) % workers


def worker(schema: str, backlog: list[dict[str, Any]] | None, inbox: Queue[Any] | None, ready: Event, go: Event,
           results: Queue[Any]) -> None:  # fmt: skip
    """A worker process: its backlog, or what arrives in `inbox` until None; reports its CPU and PostgreSQL's."""
    asyncio.run(_work(schema, backlog, inbox, ready, go, results))


async def _work(schema: str, backlog: list[dict[str, Any]] | None, inbox: Queue[Any] | None, ready: Event, go: Event,
                results: Queue[Any]) -> None:  # fmt: skip
    conn = await asyncpg.connect(settings().database_url, server_settings={"search_path": schema})
    backend, program = await conn.fetchval("SELECT pg_backend_pid()"), Program()
    ready.set()
    go.wait()
    cpu, pg_cpu, done = procstat.own_cpu_seconds(), _cpu_of(backend), 0
    source: Iterable[dict[str, Any]] = backlog if backlog is not None else iter(inbox.get, None)  # type: ignore[union-attr]
    for record in source:
        done += await apply(conn, record, program)
    results.put({"finished_at": time.monotonic(), "credited": done, "cpu_s": procstat.own_cpu_seconds() - cpu,
                 "postgres_cpu_s": _cpu_of(backend) - pg_cpu})  # fmt: skip
    await conn.close()


def _cpu_of(pid: int) -> float:
    """A PostgreSQL backend's CPU: 0 where its /proc entry cannot be read (a server on another host or user)."""
    try:
        return procstat.cpu_seconds(pid)
    except OSError:
        return 0.0


class Workers:
    """The worker processes, connected and waiting for `go`."""

    def __init__(self, schema: str, count: int, backlogs: list[list[dict[str, Any]]] | None = None) -> None:
        self.go, self.results = SPAWN.Event(), SPAWN.Queue()
        self.inboxes: list[Queue[Any]] = [SPAWN.Queue() for _ in range(count)] if backlogs is None else []
        readies = [SPAWN.Event() for _ in range(count)]
        self.procs = [
            SPAWN.Process(target=worker, args=(schema, backlogs[i] if backlogs else None,
                          self.inboxes[i] if self.inboxes else None, readies[i], self.go, self.results))
            for i in range(count)
        ]  # fmt: skip
        for proc in self.procs:
            proc.start()
        for ready in readies:
            if not ready.wait(60):
                raise TimeoutError("a peer worker did not connect in 60 s")

    def start(self) -> float:
        started = time.monotonic()
        self.go.set()
        return started

    def finish(self) -> list[dict[str, Any]]:
        for inbox in self.inboxes:
            inbox.put(None)
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + 900
        while len(found) < len(self.procs):
            if died := [p.exitcode for p in self.procs if p.exitcode]:
                raise RuntimeError(f"a peer worker failed (exit codes {died})")
            if time.monotonic() > deadline:
                raise TimeoutError("the peer workers did not finish in 900 s")
            with suppress(queue.Empty):
                found.append(self.results.get(timeout=1))
        for proc in self.procs:
            proc.join(30)
        return found


def throughput(events: list[tuple[bytes, dict[str, Any]]], workers: int = 0) -> dict[str, Any]:
    """Orders/s from `go` to the last worker's last commit; CPU per order of the workers and of PostgreSQL's
    backends serving them, over the same interval. Checks the balances against the pure fold of the orders."""
    count = workers or 2 * (os.cpu_count() or 1)
    backlogs: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    for key, record in events:
        backlogs[share(key, count)].append(record)
    with _schema() as schema:
        pool = Workers(schema, count, backlogs)
        started = pool.start()
        found = pool.finish()
        mismatched = asyncio.run(_mismatches(schema, expected_balances(events)))
    seconds = max(r["finished_at"] for r in found) - started
    return {
        "workers": count,
        "events": len(events),
        "credited": sum(r["credited"] for r in found),
        "seconds": seconds,
        "events_per_s": len(events) / seconds,
        "cpu_us_per_event": figures.per_event_us(sum(r["cpu_s"] for r in found), len(events)),
        "postgres_cpu_us_per_event": figures.per_event_us(sum(r["postgres_cpu_s"] for r in found), len(events)),
        "balances_differing_from_the_fold": mismatched,
    }


def latency(rate: float, seconds: float, workers: int = 0) -> dict[str, Any]:
    """The slice's latency run (the same orders, rate and warm-up) against the peer."""
    count = workers or 2 * (os.cpu_count() or 1)
    warmup, measured = int(rate * 2), int(rate * seconds)
    events = list(orders(warmup + measured, seed=9, duplicate_rate=0.0))
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    with _schema() as schema:
        pool = Workers(schema, count)
        watcher = threading.Thread(target=lambda: asyncio.run(watch_ids(schema, sent, seen, len(events))))
        watcher.start()
        started = time.perf_counter()
        pool.start()
        for i, (key, record) in enumerate(events):
            sent[record["event_id"]] = time.perf_counter()
            pool.inboxes[share(key, count)].put(record)
            if (ahead := (i + 1) / rate - (time.perf_counter() - started)) > 0:
                time.sleep(ahead)
        watcher.join(120)
        pool.finish()
    millis = sorted((seen[e] - sent[e]) * 1000 for e in (r["event_id"] for _, r in events[warmup:]) if e in seen)
    return {"rate_per_s": rate, "events": measured, "observed": len(millis), "warmup_events": warmup,
            "p50_ms": percentile(millis, 50), "p99_ms": percentile(millis, 99), "max_ms": millis[-1],
            "mean_ms": statistics.fmean(millis)}  # fmt: skip


@contextmanager
def _schema() -> Iterator[str]:
    """A schema of the peer's own tables, dropped on leaving."""
    name = f"peer_{uuid.uuid4().hex[:8]}"
    asyncio.run(_execute(f'CREATE SCHEMA "{name}"; SET search_path TO "{name}"; {TABLES}'))
    try:
        yield name
    finally:
        asyncio.run(_execute(f'DROP SCHEMA "{name}" CASCADE'))


async def _execute(sql: str) -> None:
    conn = await asyncpg.connect(settings().database_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _mismatches(schema: str, expected: dict[bytes, int]) -> int:
    """Customers whose lifetime points differ from the pure fold (`expected_balances`): 0 when the peer is right."""
    conn = await asyncpg.connect(settings().database_url, server_settings={"search_path": schema})
    try:
        rows = await conn.fetch("SELECT shop_id, customer_id, lifetime_earned FROM balances")
    finally:
        await conn.close()
    found: dict[bytes, int] = defaultdict(int)
    for row in rows:
        if row["lifetime_earned"]:
            found[f"{row['shop_id']}:{row['customer_id']}".encode()] = row["lifetime_earned"]
    return sum(1 for key in expected.keys() | found.keys() if expected.get(key) != found.get(key))
