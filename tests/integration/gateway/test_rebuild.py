"""`pointstream rebuild` on real Kafka and PostgreSQL: the read models emptied and folded again are identical.

No read-model column is a wall-clock stamp of projection time (every time in them comes from an
event), so the dumps are compared whole, every column of every row.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from services.common import topics
from services.projector import rebuild
from services.projector.projector import Projector
from services.readmodels.folds.rewards import RewardVersion
from tests.integration.gateway.conftest import (
    AT,
    admin,
    auth,
    clawed_back,
    earned,
    fetch,
    produce_ledger,
    produce_tiers,
    project_everything,
    tier_changed,
)
from tests.integration.gateway.records import (
    adjusted,
    approved,
    collected,
    expired,
    outcome,
    produce,
    produce_outcomes,
    produce_rewards,
    redeemed,
    repaid,
    restored,
    transferred,
)

LEDGER: list[Any] = [
    earned(1, "ada", 500), earned(2, "ada", 120), earned(3, "bo", 80), earned(4, "cy", 10),
    earned(1, "ada", 500),  # a duplicate: projected once
    clawed_back(5, "ada", 60, 2), collected(6, "ada", 5, [(2, 60)]),
    redeemed(7, "ada", "red-1", [(1, 200)]), restored(8, "ada", "red-1", [(1, 50)]),
    expired(9, "bo", 3, 80), adjusted(10, "ada", 40), adjusted(11, "cy", -25, [(4, 10)], uncovered=15),
    earned(12, "cy", 40), repaid(13, "cy", [(12, 15)]),
    transferred(14, "ada", -30, [(1, 30)]), transferred(15, "bo", 30, [(95, 30)], expires_at=AT),
    b"\x00not avro",
]  # fmt: skip
OUTCOMES = [
    approved("ada", "red-1", 200, code="C-1"),
    outcome("RedemptionReversed", "ada", redemption_id="red-1", points_restored=50, reason="returned"),
    outcome("RedemptionRejected", "bo", redemption_id="red-2", reward_id="mug", reason="frozen"),
    outcome("AccountStatusChanged", "bo", frozen=True, reason="fraud check", actor="admin-key:x"),
    outcome("AccountCommandRejected", "bo", command_id="t-1", kind="transfer", reason="frozen"),
]
TABLES = (*rebuild.PROJECTIONS, "reward_stock", "reward_reservations")
REQUEST = {"event_id": "shop-e-1", "shop_id": "north", "customer_id": "bo", "occurred_at": AT,
           "redemption_id": "red-2", "reward_id": "mug", "quantity": 1}  # fmt: skip


async def history(api: httpx.AsyncClient) -> None:
    """Programs and rewards through the API, everything else as the services publish it."""
    for cap in (100, 200):
        assert (await api.put("/v1/program", json={"daily_cap": cap}, headers=admin("north"))).status_code == 202
    mug = RewardVersion("north", "mug", 1, AT, "admin-key:a", {"name": "Mug", "kind": "physical", "points_price": 200})
    await asyncio.to_thread(produce_rewards, [mug])
    body = {"customer_id": "ada", "reward_id": "mug", "quantity": 1, "redemption_id": "red-1"}
    assert (await api.post("/v1/redemptions", json=body, headers=auth("north"))).status_code == 202
    await asyncio.to_thread(produce, topics.REDEMPTION_REQUESTS.name, [("RedemptionRequested", REQUEST)])
    await asyncio.to_thread(produce_ledger, LEDGER)
    await asyncio.to_thread(produce_tiers, [tier_changed("ada", "silver", 1000), tier_changed("ada", "silver", 1100)])
    await asyncio.to_thread(produce_outcomes, OUTCOMES)


async def dump(database_url: str, schema: str, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as text, ordered by all its columns."""
    dumped = {}
    for table in tables:
        rows = await fetch(database_url, schema, f"SELECT t::text AS row FROM {table} t ORDER BY 1")
        dumped[table] = [r["row"] for r in rows]
    return dumped


async def test_a_rebuild_from_the_logs_gives_every_read_model_row_back_identical(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    await history(api)
    await asyncio.to_thread(project_everything, database_url, db_schema)
    await fetch(database_url, db_schema, "SELECT * FROM reserve_reward('north', 'mug', 'red-1', 1, 10)")
    before = await dump(database_url, db_schema, TABLES)
    assert all(before[t] for t in TABLES)
    assert len(before["ledger_entries"]) == 15

    # The projector that caught up stays a static member of its group for a session: hence --force.
    rebuilt = await asyncio.to_thread(rebuild.rebuild, database_url, db_schema, force=True, progress=False)

    assert await dump(database_url, db_schema, TABLES) == before
    assert set(rebuilt.truncated) == set(rebuild.PROJECTIONS)
    # Every record is read, the garbage and the duplicate too: ledger, programs, rewards, requests, tiers, outcomes.
    assert rebuilt.records == len(LEDGER) + 2 + 1 + 2 + 2 + len(OUTCOMES)


async def test_the_rebuild_keeps_what_the_projector_does_not_write(
    namespace: str, database_url: str, db_schema: str
) -> None:
    await fetch(database_url, db_schema, "SELECT * FROM reserve_reward('north', 'mug', 'red-1', 1, 10)")
    await asyncio.to_thread(rebuild.rebuild, database_url, db_schema, force=True, progress=False)
    kept = await fetch(database_url, db_schema, "SELECT reserved FROM reward_stock")
    assert [r["reserved"] for r in kept] == [1]
    assert await fetch(database_url, db_schema, "SELECT name FROM schema_migrations")


def test_a_rebuild_is_refused_while_the_projector_runs(namespace: str, database_url: str, db_schema: str) -> None:
    projector = Projector(database_url, db_schema)
    projector.start()
    try:
        deadline = time.monotonic() + 30
        while not projector.consumer.assignment():
            assert time.monotonic() < deadline, "the projector was never assigned its partitions"
            projector.step()
        with pytest.raises(rebuild.ProjectorRunning, match="Stop every projector instance"):
            rebuild.rebuild(database_url, db_schema, progress=False)
    finally:
        projector.close()
