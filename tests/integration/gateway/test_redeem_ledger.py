"""The redeem service's ledger entries and account outcomes in the read models, on real Kafka and PostgreSQL.

The tests publish what the redeem service would (it need not run): debits naming their lot shares,
restores, expiry, adjustments, transfers, freezes and refused commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import REGISTRY

from services.common import topics
from services.readmodels.folds.rewards import RewardVersion
from services.schema.migrations import migrate
from tests.integration.gateway.conftest import AT, auth, earned, fetch, produce_ledger, project_everything
from tests.integration.gateway.records import (
    adjusted,
    approved,
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

NOW = datetime.now(UTC)
FAR = NOW + timedelta(days=300)


async def project(database_url: str, schema: str, ledger: list[Any], outcomes: Sequence[Any] = ()) -> None:
    await asyncio.to_thread(produce_ledger, ledger)
    await asyncio.to_thread(produce_outcomes, outcomes)
    await asyncio.to_thread(project_everything, database_url, schema)


async def test_redemptions_restores_expiry_adjustments_and_transfers_move_exactly_the_shares_they_name(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    soon = NOW + timedelta(days=20)
    ledger = [
        earned(1, "ada", 100, expires_at=FAR), earned(2, "ada", 50, expires_at=soon), earned(3, "ada", 30),
        redeemed(4, "ada", "red-1", [(2, 50), (1, 20)]), restored(5, "ada", "red-1", [(2, 10)]),
        expired(6, "ada", 3, 30), adjusted(7, "ada", 40), adjusted(8, "ada", -100, [(1, 80), (7, 20)]),
        transferred(9, "ada", -10, [(2, 10)]), transferred(10, "bo", 10, [(91, 10)], expires_at=soon),
    ]  # fmt: skip
    await project(database_url, db_schema, ledger)

    lots = await fetch(database_url, db_schema, "SELECT lot_id, customer_id, remaining FROM lots ORDER BY lot_id")
    assert [tuple(lot.values()) for lot in lots] == [
        ("entry-1", "ada", 0), ("entry-2", "ada", 0), ("entry-3", "ada", 0), ("entry-7", "ada", 20),
        ("entry-91", "bo", 10),
    ]  # fmt: skip
    balance = (await api.get("/v1/customers/ada/balance", headers=auth("north"))).json()
    totals = ("available", "lifetime_earned", "redeemed", "expired", "adjusted", "owed", "transferred_out")
    assert [balance[k] for k in totals] == [20, 180, 60, 30, -60, 0, 10]
    entries = (await api.get("/v1/customers/ada/ledger", headers=auth("north"))).json()["entries"]
    assert [(e["kind"], e["points"], e["balance_after"]) for e in entries[:7]] == [
        ("transferred", -10, 20), ("adjusted", -100, 30), ("adjusted", 40, 130), ("expired", -30, 90),
        ("restored", 10, 120), ("redeemed", -70, 110), ("earned", 30, 180),
    ]  # fmt: skip
    bo = (await api.get("/v1/customers/bo/balance", headers=auth("north"))).json()
    assert (bo["available"], bo["transferred_in"], bo["expiring"][0]["points"]) == (10, 10, 10)


async def test_owed_points_show_as_a_negative_balance_until_a_credit_repays_them(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    await project(database_url, db_schema, [earned(1, "cy", 10), adjusted(2, "cy", -25, [(1, 10)], uncovered=15)])
    balance = (await api.get("/v1/customers/cy/balance", headers=auth("north"))).json()
    assert (balance["available"], balance["owed"]) == (-15, 15)
    await project(database_url, db_schema, [earned(3, "cy", 40, expires_at=FAR), repaid(4, "cy", [(3, 15)])])
    balance = (await api.get("/v1/customers/cy/balance", headers=auth("north"))).json()
    assert (balance["available"], balance["owed"], [lot["points"] for lot in balance["expiring"]]) == (25, 0, [25])


async def test_an_entry_whose_shares_do_not_fit_is_logged_counted_and_not_applied(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    before = REGISTRY.get_sample_value("pointstream_projector_records_total", {"outcome": "rejected"}) or 0
    ledger = [earned(1, "ada", 100), redeemed(2, "ada", "red-1", [(1, 101)]), redeemed(3, "ada", "red-2", [(9, 5)]),
              redeemed(4, "ada", "red-3", [(1, 40)])]  # fmt: skip
    await project(database_url, db_schema, ledger)

    assert REGISTRY.get_sample_value("pointstream_projector_records_total", {"outcome": "rejected"}) == before + 2
    rows = await fetch(database_url, db_schema, "SELECT entry_id FROM ledger_entries ORDER BY ledger_offset")
    assert [r["entry_id"] for r in rows] == ["entry-1", "redeem-4"]
    balance = (await api.get("/v1/customers/ada/balance", headers=auth("north"))).json()
    assert (balance["available"], balance["redeemed"]) == (60, 40)


async def test_a_freeze_shows_on_the_balance_even_before_any_ledger_entry_and_an_unfreeze_lifts_it(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    freeze = outcome("AccountStatusChanged", "dee", frozen=True, reason="fraud check", actor="admin-key:x")
    await project(database_url, db_schema, [], [freeze])
    balance = (await api.get("/v1/customers/dee/balance", headers=auth("north"))).json()
    assert (balance["frozen"], balance["available"]) == (True, 0)

    unfreeze = outcome("AccountStatusChanged", "dee", frozen=False, reason="cleared", actor="admin-key:x")
    await project(database_url, db_schema, [earned(1, "dee", 10)], [unfreeze])
    balance = (await api.get("/v1/customers/dee/balance", headers=auth("north"))).json()
    assert (balance["frozen"], balance["available"]) == (False, 10)


async def test_a_refused_account_command_is_recorded_with_its_reason(
    namespace: str, database_url: str, db_schema: str
) -> None:
    refused = [
        outcome("AccountCommandRejected", "ada", command_id="adj-1", kind="adjustment", reason="insufficient_points"),
        outcome("AccountCommandRejected", "bo", command_id="t-1", kind="transfer", reason="frozen"),
    ]  # fmt: skip
    await project(database_url, db_schema, [], refused)
    sql = "SELECT kind, command_id, customer_id, status, reason, occurred_at FROM account_commands ORDER BY kind"
    rows = await fetch(database_url, db_schema, sql)
    assert [tuple(r.values()) for r in rows] == [
        ("adjustment", "adj-1", "ada", "rejected", "insufficient_points", AT),
        ("transfer", "t-1", "bo", "rejected", "frozen", AT),
    ]  # fmt: skip


def test_dropping_the_redemptions_accounts_and_catalog_and_replaying_the_logs_gives_identical_rows(
    namespace: str, database_url: str, db_schema: str
) -> None:
    request = {"event_id": "e-1", "shop_id": "north", "customer_id": "ada", "occurred_at": AT, "redemption_id": "red-1",
               "reward_id": "mug", "quantity": 1}  # fmt: skip
    produce(topics.REDEMPTION_REQUESTS.name, [("RedemptionRequested", request)])
    produce_outcomes([
        approved("ada", "red-1", 100, code="C-1"), outcome("RedemptionRejected", "bo", redemption_id="red-2",
                                                           reward_id="mug", reason="frozen"),
        outcome("AccountStatusChanged", "bo", frozen=True, reason="fraud", actor="k"),
        outcome("AccountCommandRejected", "bo", command_id="t-1", kind="transfer", reason="frozen"),
    ])  # fmt: skip
    version = RewardVersion(
        "north", "mug", 1, AT, "admin-key:a", {"name": "Mug", "kind": "physical", "points_price": 1}
    )
    produce_rewards([version])
    project_everything(database_url, db_schema)
    rebuilt = f"{db_schema}_rebuilt"
    asyncio.run(migrate(database_url, rebuilt))
    try:
        project_everything(database_url, rebuilt)
        for table in ("redemptions", "account_commands", "rewards", "balances"):
            sql = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
            assert asyncio.run(fetch(database_url, rebuilt, sql)) == asyncio.run(fetch(database_url, db_schema, sql))
        assert len(asyncio.run(fetch(database_url, rebuilt, "SELECT * FROM redemptions"))) == 2
    finally:
        asyncio.run(fetch(database_url, rebuilt, f'DROP SCHEMA "{rebuilt}" CASCADE'))
