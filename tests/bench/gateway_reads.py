"""Balance reads through the real gateway, beside the same SQL run straight on asyncpg.

A fresh topic namespace and schema get `customers` customers of one shop (three lots each: one
expiring soon, one later, one still pending; a redemption for every other customer; a tier for
every fifth), projected to the end. The gateway then runs as its own process (`python -m
services.gateway`, uvicorn, as deploy/local/services.sh starts it) on a free port with its own
shop key, rate limits off, and a load process drives `GET /v1/customers/{id}/balance` for random
customers from `concurrency` connections (an httpx client each): a warm-up, then a fixed window
whose requests count; then from one connection, the latency of a read with nothing queued.
The ceiling is the route's own statement (`queries.balance`, one snapshot in one round trip) from
another process with the same concurrency over a pool the size of the gateway's.

`python -m tests.bench.gateway_reads http|sql ...` is the load process; it prints its figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.gateway import partitioner, queries
from services.readmodels import postgres
from tests.bench import figures, harness, procstat
from tests.bench.projector import fresh_schema, project_to_end
from tests.bench.slice import percentile

SHOP, KEY = "bench", "bench-reads-key"
POOL_SIZE = 20
"""The gateway's pool (services.gateway.app): the ceiling gets as many connections."""
LOG = Path(".local/logs/bench-gateway.log")
ONE_CONNECTION_SECONDS = 4.0


def setup_records(customers: int, now: datetime) -> list[tuple[str, bytes, bytes]]:
    codec, rng, out = Codec(), random.Random(7), []
    at = now - timedelta(days=30)
    for i in range(customers):
        customer, key = f"c{i}", topics.customer_key(SHOP, f"c{i}")
        lots = [(f"c{i}-a", at, now + timedelta(days=20)), (f"c{i}-b", at, now + timedelta(days=300)),
                (f"c{i}-c", now + timedelta(days=10), now + timedelta(days=375))]  # fmt: skip
        for lot, available_at, expires_at in lots:
            record = {"entry_id": lot, "shop_id": SHOP, "customer_id": customer, "occurred_at": at,
                      "points": rng.randrange(100, 1_000), "source_event_id": f"paid-{lot}", "source_type": "OrderPaid",
                      "order_id": f"o-{lot}", "reason": "order", "lot_id": lot, "available_at": available_at,
                      "expires_at": expires_at, "rule_version": 0}  # fmt: skip
            out.append((topics.LEDGER.name, key, codec.encode("PointsEarned", record)))
        if i % 2 == 0:
            share = {"lot_id": f"c{i}-a", "points": 50, "expires_at": None}
            record = {"entry_id": f"r-{i}", "shop_id": SHOP, "customer_id": customer, "occurred_at": at,
                      "source_event_id": f"req-{i}", "reason": "redemption", "points": 50, "redemption_id": f"r-{i}",
                      "reward_id": "coupon", "lots": [share]}  # fmt: skip
            out.append((topics.LEDGER.name, key, codec.encode("PointsRedeemed", record)))
        if i % 5 == 0:
            record = {"shop_id": SHOP, "customer_id": customer, "occurred_at": at, "from_tier": "member",
                      "to_tier": "silver", "reason": "bench", "qualifying_points": 1_000}  # fmt: skip
            out.append((topics.TIERS.name, key, codec.encode("TierChanged", record)))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def gateway(schema: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The gateway as its own process on a free port, on this namespace and schema; yields its URL."""
    port = free_port()
    env = os.environ | {"DATABASE_SCHEMA": schema, "GATEWAY_PORT": str(port), "SHOP_API_KEYS": f"{SHOP}:{KEY}",
                        "RATE_LIMIT_PER_SECOND": "0", "LOG_LEVEL": "WARNING", "METRICS_PORT": "0"}  # fmt: skip
    with LOG.open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the gateway exited with {proc.returncode}; see {LOG}")
            try:
                # uvicorn serves only once the app's startup (pool, producer) is done: alive is ready here.
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the gateway was not ready in 60 s; see {LOG}")
            time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(30)


def load(mode: str, *args: str) -> dict[str, Any]:
    """Runs the load process and returns what it printed."""
    cmd = [sys.executable, "-m", "tests.bench.gateway_reads", mode, *args]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def throughput(
    customers: int = 2_000,
    concurrency: int = 48,
    warmup_s: float = 3.0,
    seconds: float = 10.0,
    partitions: int = 6,
    profile: str | None = None,
) -> dict[str, Any]:
    """Balance reads per second through the gateway and of the same SQL, p50 and p99 latency of each.

    With `profile`, py-spy records the gateway during the measured window into that file (raw stacks)."""
    with harness.isolated_topics("bench-reads-", partitions), fresh_schema() as schema:
        producer = kafka.producer()
        for topic, key, value in setup_records(customers, datetime.now(UTC)):
            producer.produce(topic, value, key)
            producer.poll(0)
        producer.flush(60)
        projected = project_to_end(schema)
        window = ["--customers", str(customers), "--concurrency", str(concurrency),
                  "--warmup", str(warmup_s), "--seconds", str(seconds)]  # fmt: skip
        with gateway(schema) as (url, proc):
            spy = _profiler(proc.pid, profile, warmup_s, seconds)
            # The gateway idles until the load process sends; its CPU over the load (warm-up included) is
            # divided by every request the load process completed, the warm-up's included.
            cpu_before = procstat.cpu_seconds(proc.pid)
            http = load("http", "--url", url, *window)
            http["server_cpu_s"] = procstat.cpu_seconds(proc.pid) - cpu_before
            http["cpu_us_per_event"] = figures.per_event_us(http["server_cpu_s"], http["all_requests"])
            if spy is not None:
                spy.wait(60)
            # One connection, nothing queued: the latency of a read itself.
            alone = load("http", "--url", url, "--customers", str(customers), "--concurrency", "1", "--warmup", "1",
                         "--seconds", str(ONE_CONNECTION_SECONDS))  # fmt: skip
        # The ceiling, best of three: the load process's CPU per query (PostgreSQL's own is not counted).
        sql = figures.best_of([load("sql", "--schema", schema, *window) for _ in range(3)], "per_s")
    return {
        "customers": customers,
        "ledger_records_projected": projected["records"],
        "concurrency": concurrency,
        "gateway": http,
        "sql_ceiling": sql,
        "ratio_to_sql": http["per_s"] / sql["per_s"],
        "gateway_one_connection": alone,
    }


def _profiler(pid: int, path: str | None, warmup_s: float, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy on the gateway for the measured window (started now, it waits out the warm-up)."""
    if path is None:
        return None
    spy = Path(sys.executable).parent / "py-spy"
    cmd = f"sleep {warmup_s}; exec {spy} record -p {pid} -d {int(seconds)} -r 200 --format raw -o {path}"
    return subprocess.Popen(["sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def drive(call: Callable[[str], Awaitable[bool]], customers: int, concurrency: int, warmup_s: float,
                seconds: float) -> dict[str, Any]:  # fmt: skip
    """`concurrency` workers call `call(customer)` back to back for random customers; the calls that
    start after the warm-up and end inside the window count."""
    rng = random.Random(11)
    latencies: list[float] = []
    failures, calls = 0, 0
    measure_from = time.perf_counter() + warmup_s
    measure_to = measure_from + seconds

    async def worker() -> None:
        nonlocal failures, calls
        while (started := time.perf_counter()) < measure_to:
            ok = await call(f"c{rng.randrange(customers)}")
            ended = time.perf_counter()
            calls += 1
            if started >= measure_from and ended <= measure_to:
                latencies.append(ended - started)
                failures += not ok

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    used = resource.getrusage(resource.RUSAGE_SELF)
    millis = sorted(s * 1000 for s in latencies)
    client_cpu = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    return {
        "requests": len(millis),
        "all_requests": calls,
        "failures": failures,
        "seconds": seconds,
        "per_s": len(millis) / seconds,
        "p50_ms": percentile(millis, 50),
        "p99_ms": percentile(millis, 99),
        "max_ms": millis[-1],
        "client_cpu_s": client_cpu,
        "client_cpu_us_per_request": figures.per_event_us(client_cpu, calls),
    }


async def over_http(args: argparse.Namespace) -> dict[str, Any]:
    """One client (one keep-alive connection) per worker: a shared httpx pool of many connections costs the
    client more CPU per request the more connections it holds, and the load process becomes the bottleneck."""
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=args.url, headers=headers, limits=limits, timeout=30)
               for _ in range(args.concurrency)]  # fmt: skip
    free = list(clients)

    async def call(customer: str) -> bool:
        client = free.pop()
        try:
            response = await client.get(f"/v1/customers/{customer}/balance")
        finally:
            free.append(client)
        return response.status_code == 200

    try:
        return await drive(call, args.customers, args.concurrency, args.warmup, args.seconds)
    finally:
        for client in clients:
            await client.aclose()


async def over_sql(args: argparse.Namespace) -> dict[str, Any]:
    ledger, partitions = topics.LEDGER.name, settings().partitions
    size = min(POOL_SIZE, args.concurrency)
    pool = await postgres.create_pool(settings().database_url, args.schema, min_size=size, max_size=size)
    try:

        async def call(customer: str) -> bool:
            partition = partitioner.partition(topics.customer_key(SHOP, customer), partitions)
            async with pool.acquire() as conn:
                found = await queries.balance(conn, SHOP, customer, ledger, partition, datetime.now(UTC))
            return found is not None

        return await drive(call, args.customers, args.concurrency, args.warmup, args.seconds)
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="the load process of the balance-read bench")
    parser.add_argument("mode", choices=("http", "sql"))
    parser.add_argument("--url")
    parser.add_argument("--schema")
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    figures = asyncio.run(over_http(args) if args.mode == "http" else over_sql(args))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
