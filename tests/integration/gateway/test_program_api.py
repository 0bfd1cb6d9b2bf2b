"""The program over HTTP on real Kafka and PostgreSQL: versions published, read back, refused when invalid."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from services.common import topics
from services.gateway.program_check import InvalidRules, get_validator
from services.program import DEFAULT, parse_program, render_program
from tests.integration.gateway.conftest import admin, auth, fetch, project_everything
from tests.integration.gateway.test_http_api import read_back

RULES = {
    "timezone": "UTC", "points_per_unit": "1", "category_multipliers": {"electronics": "0.5"},
    "tiers": [{"name": "member", "threshold": 0, "multiplier": "1"}, {"name": "silver", "threshold": 1000,
              "multiplier": "1.5"}],
    "tier_window": {"mode": "rolling", "days": 365, "grace_days": 0},
    "campaigns": [{"name": "member-day", "multiplier": "2", "days_of_month": [10]}],
    "tasks": {"signup": {"points": 50}},
}  # fmt: skip


async def test_a_shop_without_a_program_has_version_zero_with_the_defaults(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/program", headers=auth("north"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "version": 0, "effective_from": None, "configured_at": None, "actor": None, "rules": {},
        "effective_rules": render_program(DEFAULT),
    }  # fmt: skip
    assert response.json()["effective_rules"]["tiers"][1] == {"name": "silver", "threshold": 1000, "multiplier": "1.5"}


async def test_the_program_shows_what_was_configured_and_what_applies_with_the_defaults_filled_in(
    api: httpx.AsyncClient,
) -> None:
    configured = {"daily_cap": 500, "tier_window": {"grace_days": 7}, "tasks": {"quiz": {"points": 30}}}
    assert (await api.put("/v1/program", json=configured, headers=admin("north"))).status_code == 202
    shown = (await api.get("/v1/program", headers=auth("north"))).json()
    assert shown["rules"] == configured
    effective = shown["effective_rules"]
    assert effective == render_program(parse_program(configured))
    assert effective["daily_cap"] == 500
    assert effective["tier_window"] == {"mode": "rolling", "days": 365, "grace_days": 7}
    assert (effective["tasks"]["quiz"], effective["tasks"]["signup"]) == ({"points": 30}, {"points": 50})
    assert effective["lot_lifetime_days"] == 365
    assert parse_program(effective) == parse_program(configured)


async def test_each_put_publishes_the_next_version_on_the_programs_topic_once_kafka_has_it(
    api: httpx.AsyncClient,
) -> None:
    before = datetime.now(UTC)
    first = await api.put("/v1/program", json=RULES, headers=admin("north"))
    assert first.status_code == 202, first.text
    assert first.json()["version"] == 1
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(first.json()["effective_from"]) <= datetime.now(UTC)
    key, decoded = await asyncio.to_thread(read_back, first.json()["position"])
    assert first.json()["position"].startswith(f"{topics.PROGRAMS.name}:")
    assert (key, decoded.name, decoded.record["version"]) == (b"north:1", "ProgramConfigured", 1)

    second = await api.put("/v1/program", json=RULES | {"daily_cap": 500}, headers=admin("north"))
    assert second.json()["version"] == 2
    latest = (await api.get("/v1/program", headers=auth("north"))).json()
    assert (latest["version"], latest["rules"]) == (2, RULES | {"daily_cap": 500})
    assert latest["actor"].startswith("admin-key:")
    assert (await api.get("/v1/program", headers=admin("north"))).json() == latest
    assert (await api.get("/v1/program", headers=auth("south"))).json()["version"] == 0


async def test_a_version_takes_effect_when_asked_but_never_in_the_past(api: httpx.AsyncClient) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    scheduled = await api.put("/v1/program", json={"effective_from": later.isoformat()}, headers=admin("north"))
    assert datetime.fromisoformat(scheduled.json()["effective_from"]) == later
    past = await api.put("/v1/program", params={"effective_from": "2020-01-01T00:00:00Z"}, json={},
                         headers=admin("north"))  # fmt: skip
    assert datetime.fromisoformat(past.json()["effective_from"]) > datetime.now(UTC) - timedelta(minutes=1)
    assert [scheduled.json()["version"], past.json()["version"]] == [1, 2]
    assert "effective_from" not in (await api.get("/v1/program", headers=auth("north"))).json()["rules"]


async def test_an_effective_from_past_the_calendar_is_a_422_naming_it(api: httpx.AsyncClient) -> None:
    for query, body in (("?effective_from=99999999999999999999", {}), ("?effective_from=9999999999999999", {}),
                        ("?effective_from=%C2%B2", {}), ("", {"effective_from": 10**30}),
                        ("", {"effective_from": -(10**20)})):  # fmt: skip
        refused = await api.put(f"/v1/program{query}", json=body, headers=admin("north"))
        assert refused.status_code == 422, (query, body, refused.text)
        assert refused.json()["error"]["details"] == {"field": "effective_from"}


async def test_concurrent_puts_of_one_shop_never_publish_the_same_version(api: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(
        *(api.put("/v1/program", json={"daily_cap": n + 1}, headers=admin("north")) for n in range(8))
    )
    assert sorted(a.json()["version"] for a in answers) == list(range(1, 9))
    assert (await api.put("/v1/program", json={}, headers=admin("south"))).json()["version"] == 1


async def test_program_administration_needs_an_admin_key_of_the_shop(api: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        refused = await api.put("/v1/program", json=RULES, headers=headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthenticated")
    shop_key = await api.put("/v1/program", json=RULES, headers=auth("north"))
    assert (shop_key.status_code, shop_key.json()["error"]["code"]) == (403, "forbidden")
    assert (await api.get("/v1/program")).status_code == 401
    assert (await api.get("/v1/program", headers=auth("north"))).json()["version"] == 0


async def test_an_invalid_document_is_refused_naming_the_setting_at_fault(api: httpx.AsyncClient) -> None:
    bad = RULES | {"campaigns": [{"name": "member-day", "multiplier": "-2"}]}
    refused = await api.put("/v1/program", json=bad, headers=admin("north"))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_program"
    assert refused.json()["error"]["details"] == {"field": "campaigns[0].multiplier"}
    not_an_object = await api.put("/v1/program", json=[1, 2], headers=admin("north"))
    assert not_an_object.status_code == 422
    assert (await api.get("/v1/program", headers=admin("north"))).json()["version"] == 0


async def test_the_validator_is_the_one_the_app_is_given(app: FastAPI, api: httpx.AsyncClient) -> None:
    seen: list[Mapping[str, Any]] = []

    def strict(document: Mapping[str, Any]) -> None:
        seen.append(document)
        if "daily_cap" not in document:
            raise InvalidRules("daily_cap", "this shop must set a cap")

    app.dependency_overrides[get_validator] = lambda: strict
    try:
        refused = await api.put("/v1/program", json={"effective_from": None}, headers=admin("north"))
        accepted = await api.put("/v1/program", json={"daily_cap": 5}, headers=admin("north"))
    finally:
        app.dependency_overrides.clear()
    assert (refused.status_code, refused.json()["error"]["details"]) == (422, {"field": "daily_cap"})
    assert (accepted.status_code, seen) == (202, [{}, {"daily_cap": 5}])


async def test_the_projector_rebuilds_the_same_versions_from_the_topic(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    for cap in (10, 20, 30):
        assert (await api.put("/v1/program", json={"daily_cap": cap}, headers=admin("north"))).status_code == 202
    written = await fetch(database_url, db_schema, "SELECT * FROM programs ORDER BY version")
    await fetch(database_url, db_schema, "TRUNCATE programs")
    await fetch(database_url, db_schema, "DELETE FROM projection_positions")
    await asyncio.to_thread(project_everything, database_url, db_schema)
    assert await fetch(database_url, db_schema, "SELECT * FROM programs ORDER BY version") == written
    assert [r["rules"] for r in written] == ['{"daily_cap": 10}', '{"daily_cap": 20}', '{"daily_cap": 30}']
