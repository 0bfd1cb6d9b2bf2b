"""The reward catalog over HTTP on real Kafka and PostgreSQL: versions published, read back with what is left."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx

from services.common import topics
from services.readmodels.folds.rewards import RewardVersion
from tests.integration.gateway.conftest import admin, auth, fetch, project_everything
from tests.integration.gateway.records import produce_rewards
from tests.integration.gateway.test_http_api import read_back

MUG = {"name": "Mug", "kind": "physical", "points_price": 500, "stock": 50, "tiers": ["gold"],
       "tier_discounts": {"gold": "0.1"}, "per_customer_limit": 2}  # fmt: skip


async def test_each_put_publishes_the_next_version_and_the_catalog_shows_it_at_once_with_what_is_left(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    first = await api.put("/v1/rewards/mug", json=MUG, headers=admin("north"))
    assert first.status_code == 202, first.text
    assert (first.json()["reward_id"], first.json()["version"]) == ("mug", 1)
    assert first.json()["position"].startswith(f"{topics.REWARDS.name}:")
    key, decoded = await asyncio.to_thread(read_back, first.json()["position"])
    assert (key, decoded.name, decoded.record["version"], json.loads(decoded.record["reward"])) == (
        b"north:mug", "RewardConfigured", 1, MUG,
    )  # fmt: skip
    assert decoded.record["actor"].startswith("admin-key:")
    second = await api.put("/v1/rewards/mug", json=MUG | {"stock": 40}, headers=admin("north"))
    assert second.json()["version"] == 2

    await fetch(database_url, db_schema, "INSERT INTO reward_stock (shop_id, reward_id, reserved) VALUES "
                                         "('north', 'mug', 15)")  # fmt: skip
    catalog = (await api.get("/v1/rewards", headers=auth("north"))).json()["rewards"]
    assert [(r["reward_id"], r["version"], r["stock"], r["remaining"]) for r in catalog] == [("mug", 2, 40, 25)]
    mug = (await api.get("/v1/rewards/mug", headers=admin("north"))).json()
    assert (mug["kind"], mug["points_price"], mug["tiers"], mug["tier_discounts"], mug["per_customer_limit"]) == (
        "physical", 500, ["gold"], {"gold": "0.1"}, 2,
    )  # fmt: skip


async def test_a_reward_the_redeem_service_could_not_read_is_refused_naming_the_field(api: httpx.AsyncClient) -> None:
    refusals = [
        (MUG | {"kind": "spaceship"}, "kind"), (MUG | {"points_price": -1}, "points_price"),
        (MUG | {"colour": "red"}, "colour"), ({"name": "Wheel", "kind": "lottery", "prizes": []}, "prizes"),
        (MUG | {"discounts": [{"percent": "20", "starts_at": "soon"}]}, "discounts[0].starts_at"),
    ]  # fmt: skip
    for document, field in refusals:
        response = await api.put("/v1/rewards/mug", json=document, headers=admin("north"))
        assert response.status_code == 422, response.text
        assert (response.json()["error"]["code"], response.json()["error"]["details"]["field"]) == ("invalid_reward",
                                                                                                   field)  # fmt: skip
    assert (await api.put("/v1/rewards/mug", json=[MUG], headers=admin("north"))).status_code == 422
    assert (await api.put("/v1/rewards/a%20b", json=MUG, headers=admin("north"))).status_code == 422


async def test_only_admin_keys_configure_and_each_shop_sees_only_its_own_catalog(api: httpx.AsyncClient) -> None:
    assert (await api.put("/v1/rewards/mug", json=MUG, headers=auth("north"))).status_code == 403
    assert (await api.put("/v1/rewards/mug", json=MUG)).status_code == 401
    assert (await api.get("/v1/rewards")).status_code == 401
    assert (await api.put("/v1/rewards/mug", json=MUG, headers=admin("north"))).status_code == 202
    assert (await api.get("/v1/rewards", headers=auth("south"))).json() == {"rewards": []}
    unknown = await api.get("/v1/rewards/mug", headers=auth("south"))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_reward")
    assert (await api.get("/v1/rewards/mug", headers=auth("north"))).status_code == 200


async def test_versions_on_the_topic_fill_the_catalog_and_a_coupons_codes_are_never_shown(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    coupon = {"name": "Ten off", "kind": "coupon", "points_price": 300, "codes": ["SECRET-1", "SECRET-2"]}
    versions = [RewardVersion("north", "ten-off", 2, at, "admin-key:a", coupon),
                RewardVersion("north", "ten-off", 1, at, "admin-key:a", coupon | {"points_price": 1})]  # fmt: skip
    await asyncio.to_thread(produce_rewards, versions)
    await asyncio.to_thread(project_everything, database_url, db_schema)

    response = await api.get("/v1/rewards/ten-off", headers=auth("north"))
    assert (response.json()["version"], response.json()["points_price"], response.json()["stock"]) == (2, 300, 2)
    assert "SECRET" not in response.text
