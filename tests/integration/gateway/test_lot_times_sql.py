"""The SQL that counts lots by time mirrors the one rule of `services.lot_times`: the two agree at every boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.gateway import program_metrics
from services.lot_times import phase
from services.readmodels import postgres

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
LOTS = [  # lot_id, remaining, available_at, expires_at
    ("at-once", 100, T0, T0 + 10 * HOUR),
    ("later", 20, T0 + 2 * HOUR, T0 + 10 * HOUR),
    ("short", 3, T0 + HOUR, T0 + 3 * HOUR),
    ("expires-pending", 4000, T0 + 5 * HOUR, T0 + 4 * HOUR),
]
MOMENTS = sorted({t for _, _, available_at, expires_at in LOTS for t in (available_at, expires_at)} | {T0 - HOUR})


def by_rule(at: datetime) -> dict[str, int]:
    counted = {"available": 0, "pending": 0}
    for _, remaining, available_at, expires_at in LOTS:
        if (found := phase(available_at, expires_at, at)) != "gone":
            counted[found] += remaining
    return counted


async def test_the_liability_sql_counts_available_and_pending_as_the_rule_does(
    database_url: str, db_schema: str
) -> None:
    conn = await postgres.connect(database_url, db_schema)
    try:
        await conn.executemany(
            "INSERT INTO lots (lot_id, shop_id, customer_id, points, remaining, available_at, expires_at)"
            " VALUES ($1, 'north', 'ada', $2, $2, $3, $4)",
            LOTS,
        )
        for at in MOMENTS:
            rows = await conn.fetch(program_metrics.OUTSTANDING_SQL, at)
            counted = {"available": rows[0]["available"], "pending": rows[0]["pending"]} if rows else {}
            expected = by_rule(at)
            assert counted == (expected if any(expected.values()) else {}), at
    finally:
        await conn.close()
