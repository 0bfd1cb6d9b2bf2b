"""Members per tier and outstanding points, counted over the read models for the Program dashboard."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
from prometheus_client import REGISTRY

from services.gateway import program_metrics
from services.readmodels import postgres
from tests.integration.gateway.conftest import (
    AT,
    earned,
    produce_ledger,
    produce_tiers,
    project_everything,
    tier_changed,
)


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_members_per_tier_and_the_liability_follow_the_read_models(database_url: str, db_schema: str) -> None:
    later = AT + timedelta(days=3650)
    await asyncio.to_thread(
        produce_ledger,
        [earned(1, "ada", 100), earned(2, "bob", 40), earned(3, "cy", 25, available_at=later,
                                                              expires_at=later + timedelta(days=1))],
    )  # fmt: skip
    await asyncio.to_thread(produce_tiers, [tier_changed("ada", "silver", 1_000)])
    await asyncio.to_thread(project_everything, database_url, db_schema)
    pool: asyncpg.Pool = await postgres.create_pool(database_url, db_schema, min_size=1, max_size=2)
    try:
        await program_metrics.refresh(pool, AT + timedelta(days=1))
    finally:
        await pool.close()
    assert gauge("pointstream_members", shop="north", tier="silver") == 1
    assert gauge("pointstream_members", shop="north", tier="member") == 2
    assert gauge("pointstream_outstanding_points", shop="north", state="available") == 140
    assert gauge("pointstream_outstanding_points", shop="north", state="pending") == 25
