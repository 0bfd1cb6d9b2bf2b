"""The program's standing as gauges: members per tier and outstanding points (the program's liability).

Both are totals over the read models, not over one process's traffic, so the gateway counts them
in PostgreSQL every PROGRAM_METRICS_SECONDS; every gateway replica exports the same figures, and
dashboards take `max by (shop)`. Each refresh replaces all series at once, so a shop or tier
that emptied disappears instead of keeping its last value.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import asyncpg
from prometheus_client import Gauge

from services.readmodels.folds.tiers import DEFAULT_TIER

log = logging.getLogger(__name__)
MEMBERS = Gauge("pointstream_members", "Customers per tier, from the read models", ["shop", "tier"])
OUTSTANDING = Gauge(
    "pointstream_outstanding_points",
    "Points customers hold and have not spent, expired or lost: the program's liability",
    ["shop", "state"],
)
REFRESH_SECONDS = Gauge("pointstream_program_metrics_refresh_seconds", "Time the last refresh of these gauges took")

MEMBERS_SQL = """
SELECT b.shop_id, COALESCE(t.tier, $1) AS tier, count(*) AS members
FROM balances b LEFT JOIN tiers t USING (shop_id, customer_id) GROUP BY 1, 2"""
# Owed points are repaid by the next credits first, so they reduce what is available to spend.
OUTSTANDING_SQL = """
SELECT shop_id,
       GREATEST(0, COALESCE(sum(remaining) FILTER (WHERE available_at <= $1), 0)
                   - COALESCE((SELECT sum(owed) FROM balances o WHERE o.shop_id = l.shop_id), 0)) AS available,
       COALESCE(sum(remaining) FILTER (WHERE available_at > $1), 0) AS pending
FROM lots l WHERE remaining > 0 AND expires_at > $1 GROUP BY shop_id"""


async def refresh(pool: asyncpg.Pool, now: datetime) -> None:
    started = asyncio.get_running_loop().time()
    members = await pool.fetch(MEMBERS_SQL, DEFAULT_TIER)
    outstanding = await pool.fetch(OUTSTANDING_SQL, now)
    MEMBERS.clear()
    OUTSTANDING.clear()
    for row in members:
        MEMBERS.labels(row["shop_id"], row["tier"]).set(row["members"])
    for row in outstanding:
        OUTSTANDING.labels(row["shop_id"], "available").set(row["available"])
        OUTSTANDING.labels(row["shop_id"], "pending").set(row["pending"])
    REFRESH_SECONDS.set(asyncio.get_running_loop().time() - started)


async def keep_fresh(pool: asyncpg.Pool, every_s: float) -> None:
    """Refreshes until cancelled; a failed refresh is logged and the last figures stay."""
    while True:
        try:
            await refresh(pool, datetime.now(UTC))
        except (asyncpg.PostgresError, OSError):
            log.exception("program metrics not refreshed")
        await asyncio.sleep(every_s)
