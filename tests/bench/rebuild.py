"""`pointstream rebuild` over a generated ledger: read-model records projected per second.

The history is what the earn and redeem services write for skewed customers: credits, each
opening a lot, and redemptions naming the lot shares they take (about one entry in five). The
rebuild starts on an empty schema and projects the whole ledger, as after `TRUNCATE`.
`python -m tests.bench.rebuild` prints the figures.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.common import topics
from services.common.codec import Codec
from services.common.settings import settings
from services.projector import rebuild
from services.schema.migrations import migrate
from tests.bench import figures, harness, procstat

START = datetime(2026, 1, 1, tzinfo=UTC)


def history(count: int, customers: int = 2_000, seed: int = 5) -> Iterator[tuple[bytes, str, dict[str, Any]]]:
    """(key, record name, record): credits and redemptions of lots the customer holds."""
    rng, held = random.Random(seed), dict[str, dict[str, int]]()
    for i in range(count):
        customer = f"c{int(customers * rng.random() ** 2.5)}"
        lots = held.setdefault(customer, {})
        at = START + timedelta(seconds=i)
        base: dict[str, Any] = {"entry_id": f"e-{i}", "shop_id": "shop", "customer_id": customer,
                                "source_event_id": f"ev-{i}", "occurred_at": at}  # fmt: skip
        if lots and rng.random() < 0.2:
            lot_id, left = next(iter(lots.items()))
            take = min(left, rng.randint(1, 100))
            lots[lot_id] -= take
            if lots[lot_id] == 0:
                del lots[lot_id]
            shares = [{"lot_id": lot_id, "points": take, "expires_at": None}]
            record = base | {"points": take, "reason": "redemption", "redemption_id": f"r-{i}", "reward_id": "mug",
                             "lots": shares}  # fmt: skip
            yield topics.customer_key("shop", customer), "PointsRedeemed", record
            continue
        points = rng.randint(1, 300)
        lots[f"e-{i}"] = points
        yield topics.customer_key("shop", customer), "PointsEarned", base | {
            "points": points, "source_type": "OrderPaid", "order_id": f"o-{i}", "reason": "order", "lot_id": f"e-{i}",
            "available_at": at, "expires_at": at + timedelta(days=365),
            "rule_version": 0,
        }  # fmt: skip


def throughput(ledger_records: int = 50_000, partitions: int = 6) -> dict[str, Any]:
    codec = Codec()
    messages = [(key, codec.encode(name, record)) for key, name, record in history(ledger_records)]
    schema = f"bench_rebuild_{uuid.uuid4().hex[:8]}"
    with harness.isolated_topics("bench-rebuild-", partitions):
        harness.produce(messages, topics.LEDGER.name)
        asyncio.run(migrate(settings().database_url, schema))
        try:
            # CPU of the whole command (its set-up too, a fraction of a second) over the records it projected.
            cpu = procstat.own_cpu_seconds()
            done = rebuild.rebuild(settings().database_url, schema, force=True, progress=False)
            cpu = procstat.own_cpu_seconds() - cpu
        finally:
            rows = asyncio.run(_rows_then_drop(schema))
    return {
        "ledger_records": ledger_records,
        "records_projected": done.records,
        "ledger_rows": rows,
        "seconds": done.seconds,
        "events_per_s": done.per_second,
        "cpu_us_per_event": figures.per_event_us(cpu, done.records),
    }


async def _rows_then_drop(schema: str) -> int:
    """The ledger rows the rebuild wrote (all of them: the history breaks no rule), then the schema is dropped."""
    conn = await asyncpg.connect(settings().database_url)
    try:
        rows = await conn.fetchval(f'SELECT count(*) FROM "{schema}".ledger_entries')
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        return int(rows)
    finally:
        await conn.close()


if __name__ == "__main__":
    print(throughput())
