"""The gateway projector in isolation: a backlog of ledger records -> the read models in a fresh schema.

The backlog is what earn makes of the benchmark's orders (PointsEarned, folded through the earn
decider in memory, as `tiers.ledger_of` does), with a PointsRedeemed after every few credits that
takes points from the customer's lots nearest expiry first, as the redeem service names them. The
projector runs in this process (the same `Projector` `python -m services.projector` runs)
from its start to its stored positions at the end of every partition. Rows are what it leaves in
`ledger_entries`, `lots` and `balances`; compare them with the raw multi-row insert of `slice.raw_postgres`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from confluent_kafka import TopicPartition

from services.common import topics
from services.common.codec import Codec
from services.common.settings import settings
from services.projector.projector import Projector
from services.readmodels import postgres
from services.schema.migrations import migrate
from tests.bench import figures, harness, procstat, tiers
from tests.bench.slice import _drop

TABLES = ("ledger_entries", "lots", "balances")


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A migrated read-model schema of its own, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(migrate(settings().database_url, schema))
    try:
        yield schema
    finally:
        asyncio.run(_drop(settings().database_url, schema))


def ledger_mix(events: list[tuple[bytes, dict[str, Any]]], redeem_every: int = 4) -> list[tuple[bytes, bytes]]:
    """Earn's credits of `events` (`tiers.ledger_of`), and after every `redeem_every`-th credit a redemption
    by that customer of half its balance (at most 500 points), lots nearest expiry first."""
    codec = Codec()
    lots: dict[bytes, list[list[Any]]] = {}  # key -> [[lot_id, remaining, expires_at], ...]
    out: list[tuple[bytes, bytes]] = []
    for number, (key, value) in enumerate(tiers.ledger_of(events), start=1):
        out.append((key, value))
        credit = codec.decode(value).record
        held = lots.setdefault(key, [])
        held.append([credit["lot_id"], credit["points"], credit["expires_at"]])
        if number % redeem_every == 0 and (redeemed := _redemption(credit, held, number)) is not None:
            out.append((key, codec.encode("PointsRedeemed", redeemed)))
    return out


def _redemption(credit: dict[str, Any], held: list[list[Any]], number: int) -> dict[str, Any] | None:
    points = min(sum(lot[1] for lot in held) // 2, 500)
    if points <= 0:
        return None
    shares, left = [], points
    for lot in sorted(held, key=lambda lot: lot[2]):
        if left == 0:
            break
        if (take := min(lot[1], left)) > 0:
            shares.append({"lot_id": lot[0], "points": take, "expires_at": None})
            lot[1] -= take
            left -= take
    held[:] = [lot for lot in held if lot[1] > 0]
    return {
        "entry_id": f"redeemed-{number}", "shop_id": credit["shop_id"], "customer_id": credit["customer_id"],
        "occurred_at": credit["occurred_at"] + timedelta(minutes=1), "source_event_id": f"redemption-{number}",
        "reason": "redemption", "points": points, "redemption_id": f"r-{number}", "reward_id": "coupon",
        "lots": shares,
    }  # fmt: skip


def ends(projector: Projector) -> dict[tuple[str, int], int]:
    """End offset of every non-empty partition of every topic the projector reads."""
    found = {}
    for topic in projector.topics:
        for p in range(settings().partitions):
            if (end := projector.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]) > 0:
                found[(topic, p)] = end
    return found


def project_to_end(schema: str, timeout_s: float = 600) -> dict[str, float]:
    """Runs a Projector until its stored positions reach the end of every partition it reads.

    Returns `seconds` (start to caught up, the group join included), `startup_seconds` (start to the
    first batch projected), `records` (what it consumed) and `cpu_us_per_record`: this process's CPU from
    the end of the first batch to caught up, over the records projected in between."""
    projector = Projector(settings().database_url, schema)
    target = ends(projector)
    started = time.monotonic()
    first, records, first_records, first_cpu = 0.0, 0, 0, 0.0
    projector.start()
    try:
        deadline = started + timeout_s
        parts = [TopicPartition(t, p) for t, p in target]
        while True:
            records += (taken := projector.step())
            if taken and not first:
                first, first_records, first_cpu = time.monotonic(), records, procstat.own_cpu_seconds()
            if all(tp.offset >= target[(tp.topic, tp.partition)] for tp in projector.consumer.position(parts)):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the projector did not catch up in {timeout_s} s ({records} records)")
        done, cpu = time.monotonic(), procstat.own_cpu_seconds() - first_cpu
        stored = {
            (t, p): o
            for t in {t for t, _ in target}
            for p, o in projector.loop.run_until_complete(postgres.positions(projector.conn, t)).items()
        }
        behind = {tp: end for tp, end in target.items() if stored.get(tp, 0) < end}
        assert not behind, f"consumed to the end but stored positions behind: {behind}"
    finally:
        projector.close()
    return {"seconds": done - started, "startup_seconds": (first or done) - started, "records": records,
            "cpu_us_per_record": figures.per_event_us(cpu, records - first_records)}  # fmt: skip


async def _counts(schema: str) -> dict[str, int]:
    conn = await postgres.connect(settings().database_url, schema)
    try:
        return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}
    finally:
        await conn.close()


def throughput(events: list[tuple[bytes, dict[str, Any]]], partitions: int = 6) -> dict[str, Any]:
    """Records/s and rows/s of the projector over the ledger `events` make, from its first batch to
    caught up (the group join before it is `startup_seconds`, reported apart)."""
    backlog = ledger_mix(events)
    with harness.isolated_topics("bench-projector-", partitions):
        harness.produce(backlog, topics.LEDGER.name)
        with fresh_schema() as schema:
            timing = project_to_end(schema)
            rows = asyncio.run(_counts(schema))
    working = timing["seconds"] - timing["startup_seconds"]
    return {
        "records": len(backlog),
        "rows": rows,
        "startup_seconds": timing["startup_seconds"],
        "seconds": working,
        "records_per_s": len(backlog) / working,
        "entries_per_s": rows["ledger_entries"] / working,
        "rows_per_s": sum(rows.values()) / working,
        "cpu_us_per_event": timing["cpu_us_per_record"],
    }
