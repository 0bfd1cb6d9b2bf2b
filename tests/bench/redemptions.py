"""The redeem service under a redemption-heavy mix: decisions per second over a backlog, and the
decision latency (request produced -> outcome produced, broker timestamps) at a fixed rate; with
the redeem process's CPU time (user + system) per decision, from the backlog's first request
produced to its last outcome read.

The mix: 2,000 customers with points for a few redemptions each; requests for an unlimited coupon,
a mug with stock (reserved in PostgreSQL), a tier-only reward most cannot take, and lottery draws;
so approvals, stock reservations and rejections all happen.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.schema.migrations import migrate
from tests.bench import harness, instances, meter
from tests.bench.slice import percentile

SHOP = "bench"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
CATALOG = {
    "coupon": {"name": "Coupon", "kind": "coupon", "points_price": 100},
    "mug": {"name": "Mug", "kind": "physical", "points_price": 300, "stock": 5_000},
    "spa": {"name": "Spa", "kind": "service", "points_price": 500, "tiers": ["gold"]},
    "draw": {"name": "Draw", "kind": "lottery", "points_price": 100,
             "prizes": [{"name": "big", "weight": 1}, {"name": "nothing", "weight": 99}]},
}  # fmt: skip


def catalog(shop: str, rewards: dict[str, dict[str, Any]]) -> list[tuple[str, bytes, bytes]]:
    """The records that configure `rewards` in `shop`."""
    codec, out = Codec(), []
    for reward_id, document in rewards.items():
        record = {"shop_id": shop, "reward_id": reward_id, "version": 1, "configured_at": T0, "actor": "bench",
                  "reward": json.dumps(document)}  # fmt: skip
        out.append((topics.REWARDS.name, topics.reward_key(shop, reward_id), codec.encode("RewardConfigured", record)))
    return out


def request(shop: str, customer: str, at: datetime, ident: str, reward_id: str) -> dict[str, Any]:
    """A RedemptionRequested record of one unit of a reward."""
    return {"event_id": f"e-{ident}", "shop_id": shop, "customer_id": customer, "occurred_at": at,
            "redemption_id": f"r-{ident}", "reward_id": reward_id, "quantity": 1, "cash_minor": None,
            "shipping_address": None}  # fmt: skip


def setup_records(customers: int) -> list[tuple[str, bytes, bytes]]:
    codec, out = Codec(), catalog(SHOP, CATALOG)
    for i in range(customers):
        lot = f"lot-{i}"
        record = {"entry_id": lot, "shop_id": SHOP, "customer_id": f"c{i}", "occurred_at": T0, "points": 1_000,
                  "source_event_id": f"paid-{lot}", "source_type": "OrderPaid", "order_id": f"o-{i}",
                  "reason": "order", "lot_id": lot, "available_at": T0, "expires_at": T0 + timedelta(days=365),
                  "rule_version": 0}  # fmt: skip
        out.append((topics.LEDGER.name, topics.customer_key(SHOP, f"c{i}"), codec.encode("PointsEarned", record)))
    return out


def requests(count: int, customers: int, seed: int) -> list[tuple[bytes, bytes]]:
    codec, rng = Codec(), random.Random(seed)
    out = []
    for i in range(count):
        customer = f"c{rng.randrange(customers)}"
        reward_id = rng.choice(("coupon", "coupon", "mug", "spa", "draw"))
        record = request(SHOP, customer, T0 + timedelta(seconds=i), f"{seed}-{i}", reward_id)
        out.append((topics.customer_key(SHOP, customer), codec.encode("RedemptionRequested", record)))
    return out


@contextmanager
def redeem_running(label: str, customers: int, instance_count: int = 1) -> Iterator[instances.Instances]:
    """Fresh topics and schema, the catalog and credits in, `instance_count` redeem instances caught up on them."""
    with harness.isolated_topics(f"bench-{label}-", 6):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(migrate(settings().database_url, schema))
        producer = kafka.producer()
        for topic, key, value in setup_records(customers):
            producer.produce(topic, value, key)
        producer.flush(60)
        command, log = [sys.executable, "-m", "services.redeem"], f".local/logs/bench-{label}.log"
        env = {"DATABASE_SCHEMA": schema, "EXPIRY_TICK_SECONDS": "3600"}
        try:
            with instances.running(command, log, instance_count, **env) as redeem:
                harness.wait_for_lag_zero(settings().topic_namespace + "redeem", topics.LEDGER.name, 300)
                yield redeem
        finally:
            asyncio.run(_drop(schema))


async def _drop(schema: str) -> None:
    conn = await asyncpg.connect(settings().database_url)
    await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await conn.close()


def outcomes_when(expected: int, timeout_s: float = 600) -> list[tuple[bytes, dict[str, Any], int]]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = harness.read_all(topics.REDEMPTION_OUTCOMES.name)
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(1)


def throughput(count: int = 20_000, customers: int = 2_000, instance_count: int = 1) -> dict[str, Any]:
    """Decisions/s over a backlog of requests, from the first broker timestamp of an outcome to the last; the
    CPU per decision over the requests redeem committed past between its first and last poll (`meter`), summed
    over `instance_count` redeem instances sharing the partitions."""
    with redeem_running("redeem", customers, instance_count) as running:
        harness.produce(requests(count, customers, seed=1), topics.REDEMPTION_REQUESTS.name)
        group = settings().topic_namespace + "redeem"
        progress = meter.consumed(group, topics.REDEMPTION_REQUESTS.name, count)
        redeem = meter.Meter("redeem", running.pids, instances.once_shared(progress, group, instance_count), count)
        meter.watch([redeem], timeout_s=600)
        found = outcomes_when(count)
    stamps, measured = [ts for _, _, ts in found], redeem.figures()
    seconds = (max(stamps) - min(stamps)) / 1000
    approved = sum(1 for _, r, _ in found if "points" in r)
    return {
        "requests": count,
        "decisions": len(found),
        "approved": approved,
        "rejected": len(found) - approved,
        "seconds": seconds,
        "decisions_per_s": len(found) / seconds,
        "approvals_per_s": approved / seconds,
        "cpu_us_per_event": measured["cpu_us_per_event"],
        "measured_decisions_per_s": measured["work_per_s"],
    }


def latency(rate: float = 200.0, seconds: float = 15.0, customers: int = 2_000) -> dict[str, Any]:
    count = int(rate * seconds)
    with redeem_running("redeem-latency", customers):
        harness.produce(requests(count, customers, seed=2), topics.REDEMPTION_REQUESTS.name, rate)
        found = outcomes_when(count)
        sent = {r["redemption_id"]: ts for _, r, ts in _requests_read()}
    decided = {r["redemption_id"]: ts for _, r, ts in found}
    in_order = [decided[rid] - at for rid, at in sorted(sent.items(), key=lambda item: item[1]) if rid in decided]
    # The first two seconds pay for metadata and first transactions: not counted.
    warm = sorted(float(ms) for ms in in_order[int(rate * 2) :])
    return {
        "rate_per_s": rate,
        "decisions": len(in_order),
        "p50_ms": percentile(warm, 50),
        "p99_ms": percentile(warm, 99),
        "max_ms": max(warm),
        "mean_ms": statistics.fmean(warm),
    }


def _requests_read() -> list[tuple[bytes, dict[str, Any], int]]:
    return [m for m in harness.read_all(topics.REDEMPTION_REQUESTS.name) if "redemption_id" in m[1]]
