"""Tier progress, clawbacks in the ledger and customer profiles over HTTP, on real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.common import topics
from tests.integration.gateway.conftest import (
    admin,
    auth,
    clawed_back,
    earned,
    produce_ledger,
    produce_tiers,
    project_everything,
    tier_changed,
)
from tests.integration.gateway.records import collected
from tests.integration.gateway.test_http_api import read_back

NOW = datetime.now(UTC)


async def project(database_url: str, schema: str, ledger: list[Any], tiers: list[dict[str, Any]]) -> None:
    await asyncio.to_thread(produce_ledger, ledger)
    await asyncio.to_thread(produce_tiers, tiers)
    await asyncio.to_thread(project_everything, database_url, schema)


def at(days_ago: int, record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return record | {"occurred_at": NOW - timedelta(days=days_ago)} | changes


async def test_tier_progress_counts_qualifying_points_in_the_window_minus_what_clawbacks_take_from_them(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    ledger = [
        at(10, earned(1, "ada", 700)), at(5, earned(2, "ada", 500), qualifying=False),
        at(400, earned(3, "ada", 900)), at(2, clawed_back(4, "ada", 100, lot=1)),
        at(1, clawed_back(5, "ada", 50, lot=2, qualifying=False)), at(1, clawed_back(6, "ada", 300, lot=3)),
    ]  # fmt: skip
    await project(database_url, db_schema, ledger, [at(3, tier_changed("ada", "silver", 1_200))])

    response = await api.get("/v1/customers/ada/tier", headers=auth("north"))
    assert response.status_code == 200, response.text
    tier = response.json()
    assert {k: tier[k] for k in ("tier", "qualifying_points", "window_days", "next_tier", "points_to_next")} == {
        "tier": "silver", "qualifying_points": 600, "window_days": 365, "next_tier": "gold", "points_to_next": 4_400,
    }  # fmt: skip
    assert (tier["window_mode"], tier["grace_days"]) == ("rolling", 0)
    assert abs(datetime.fromisoformat(tier["since"]) - (NOW - timedelta(days=3))) < timedelta(milliseconds=1)
    assert (await api.get("/v1/customers/ada/balance", headers=auth("north"))).json()["tier"] == "silver"


async def test_the_shops_program_sets_the_thresholds_and_the_window(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    await project(database_url, db_schema, [at(10, earned(1, "bo", 700)), at(400, earned(2, "bo", 900))], [])
    rules = {"tiers": [{"name": "member", "threshold": 0, "multiplier": "1"},
                       {"name": "vip", "threshold": 2_000, "multiplier": "2"}],
             "tier_window": {"mode": "rolling", "days": 500}}  # fmt: skip
    assert (await api.put("/v1/program", json=rules, headers=admin("north"))).status_code == 202

    tier = (await api.get("/v1/customers/bo/tier", headers=auth("north"))).json()
    assert (tier["tier"], tier["qualifying_points"], tier["window_days"]) == ("member", 1_600, 500)
    assert (tier["next_tier"], tier["points_to_next"], tier["since"]) == ("vip", 400, None)


async def test_at_the_top_tier_there_is_nothing_next_and_an_unknown_customer_is_a_404(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    await project(database_url, db_schema, [at(1, earned(1, "cy", 10))], [at(1, tier_changed("cy", "diamond", 20_000))])
    tier = (await api.get("/v1/customers/cy/tier", headers=auth("north"))).json()
    assert (tier["tier"], tier["next_tier"], tier["points_to_next"]) == ("diamond", None, 0)
    unknown = await api.get("/v1/customers/nobody/tier", headers=auth("north"))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_customer")
    assert (await api.get("/v1/customers/cy/tier", headers=auth("south"))).status_code == 404
    assert (await api.get("/v1/customers/cy/tier")).status_code == 401


async def test_the_ledger_shows_a_clawback_claim_and_what_its_collection_could_not_take(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    claim = [earned(1, "ada", 40), clawed_back(2, "ada", 100, lot=1), collected(3, "ada", 2, [(1, 40)], uncollected=60)]
    await project(database_url, db_schema, claim, [])
    entries = (await api.get("/v1/customers/ada/ledger", headers=auth("north"))).json()["entries"]
    assert [(e["kind"], e["points"], e["balance_after"], e.get("uncollected"), e.get("claimed")) for e in entries] == [
        ("clawed_back", -40, 0, 60, None), ("clawback_claimed", 0, 40, None, 100), ("earned", 40, 40, None, None),
    ]  # fmt: skip
    balance = (await api.get("/v1/customers/ada/balance", headers=auth("north"))).json()
    assert (balance["available"], balance["lifetime_earned"], balance["clawed_back"]) == (0, 40, 40)


async def test_a_customer_update_is_accepted_onto_the_customers_topic(api: httpx.AsyncClient) -> None:
    event = {"type": "CustomerUpdated", "event_id": "p-1", "shop_id": "north", "customer_id": "ada",
             "occurred_at": "2026-11-20T10:00:00Z", "tags": ["vip", "newsletter"], "birth_month": 3}  # fmt: skip
    response = await api.post("/v1/events", json=event, headers=auth("north"))
    assert response.status_code == 202, response.text
    [position] = response.json()["positions"]
    assert position.startswith(f"{topics.CUSTOMERS.name}:")
    key, decoded = await asyncio.to_thread(read_back, position)
    assert (key, decoded.name, decoded.record["tags"], decoded.record["birth_day"]) == (
        b"north:ada", "CustomerUpdated", ["vip", "newsletter"], None,
    )  # fmt: skip
    invalid = await api.post("/v1/events", json=event | {"birth_month": "March"}, headers=auth("north"))
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (422, "invalid_event")
