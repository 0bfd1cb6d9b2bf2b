"""Personal data stays out of the Kafka log, is shown to the shop on request and erased for good."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.cli import pointstream as cli
from services.common import kafka, topics
from services.common.codec import Codec
from services.projector import rebuild
from tests.integration.gateway.conftest import AT, admin, auth, project_everything
from tests.integration.gateway.test_http_api import read_back

ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH",
           "country": "GB"}  # fmt: skip
STORED = ADDRESS | {"line2": None, "region": None}


async def ask(api: httpx.AsyncClient, redemption_id: str, customer: str = "ada") -> httpx.Response:
    body = {"customer_id": customer, "reward_id": "mug", "redemption_id": redemption_id, "shipping_address": ADDRESS}
    return await api.post("/v1/redemptions", json=body, headers=auth("north"))


def request_on_kafka(redemption_id: str, customer: str, address: dict[str, Any] | None, days: int = 0) -> None:
    """A RedemptionRequested a shop put on Kafka itself, with the address in it."""
    record = {
        "event_id": f"kafka-{redemption_id}", "shop_id": "north", "customer_id": customer,
        "occurred_at": AT + timedelta(days=days), "redemption_id": redemption_id, "reward_id": "mug", "quantity": 1,
        "cash_minor": None, "shipping_address": address and {"line2": None, "region": None} | address,
    }  # fmt: skip
    producer, name = kafka.producer(), topics.REDEMPTION_REQUESTS.name
    producer.produce(name, Codec().encode("RedemptionRequested", record, name), f"north:{customer}".encode())
    assert producer.flush(30) == 0


async def test_an_address_given_over_http_never_reaches_kafka_and_the_shop_reads_it_with_the_redemption(
    api: httpx.AsyncClient,
) -> None:
    response = await ask(api, "red-ship-1")
    assert response.status_code == 202, response.text
    _, decoded = await asyncio.to_thread(read_back, response.json()["position"])
    assert decoded.name == "RedemptionRequested"
    assert decoded.record["shipping_address"] is None
    followed = (await api.get("/v1/redemptions/red-ship-1", headers=auth("north"))).json()
    assert followed["shipping_address"] == STORED
    held = (await api.get("/v1/customers/ada/personal-data", headers=admin("north"))).json()
    assert [(a["redemption_id"], a["address"]) for a in held["shipping_addresses"]] == [("red-ship-1", STORED)]
    assert held["erasures"] == []


async def test_an_erasure_deletes_the_addresses_at_once_and_is_recorded_with_its_actor(api: httpx.AsyncClient) -> None:
    for redemption_id in ("red-ship-1", "red-ship-2"):
        assert (await ask(api, redemption_id)).status_code == 202
    assert (await ask(api, "red-ship-3", customer="bo")).status_code == 202
    erased = await api.delete("/v1/customers/ada/personal-data", headers=admin("north"))
    assert erased.status_code == 200, erased.text
    assert erased.json()["shipping_addresses"] == 2
    assert erased.json()["actor"].startswith("admin-key:")
    followed = (await api.get("/v1/redemptions/red-ship-1", headers=auth("north"))).json()
    assert (followed["status"], followed["shipping_address"]) == ("pending", None)
    held = (await api.get("/v1/customers/ada/personal-data", headers=admin("north"))).json()
    assert held["shipping_addresses"] == []
    assert [e["shipping_addresses"] for e in held["erasures"]] == [2]
    others = (await api.get("/v1/customers/bo/personal-data", headers=admin("north"))).json()
    assert len(others["shipping_addresses"]) == 1, "another customer's data is not touched"


async def test_another_shop_neither_reads_nor_erases_a_customers_data(api: httpx.AsyncClient) -> None:
    assert (await ask(api, "red-ship-1")).status_code == 202
    seen = (await api.get("/v1/customers/ada/personal-data", headers=admin("south"))).json()
    assert seen["shipping_addresses"] == []
    assert (await api.delete("/v1/customers/ada/personal-data", headers=admin("south"))).status_code == 200
    kept = (await api.get("/v1/customers/ada/personal-data", headers=admin("north"))).json()
    assert len(kept["shipping_addresses"]) == 1
    assert (await api.get("/v1/customers/ada/personal-data", headers=auth("north"))).status_code == 403


async def test_an_address_a_shop_sent_on_kafka_is_projected_and_a_rebuild_does_not_bring_it_back_after_erasure(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    await asyncio.to_thread(request_on_kafka, "red-kafka-1", "ada", ADDRESS)
    await asyncio.to_thread(project_everything, database_url, db_schema)
    assert (await api.get("/v1/redemptions/red-kafka-1", headers=auth("north"))).json()["shipping_address"] == STORED
    assert (await api.delete("/v1/customers/ada/personal-data", headers=admin("north"))).status_code == 200

    await asyncio.to_thread(rebuild.rebuild, database_url, db_schema, force=True, progress=False)
    followed = (await api.get("/v1/redemptions/red-kafka-1", headers=auth("north"))).json()
    assert (followed["redemption_id"], followed["shipping_address"]) == ("red-kafka-1", None)


async def test_an_operator_shows_and_erases_a_customers_data_from_the_command_line(
    api: httpx.AsyncClient, db_schema: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (await ask(api, "red-ship-1")).status_code == 202
    monkeypatch.setenv("DATABASE_SCHEMA", db_schema)
    await asyncio.to_thread(cli.main, ["personal-data", "show", "north", "ada"])
    shown = json.loads(capsys.readouterr().out)
    assert [a["redemption_id"] for a in shown["shipping_addresses"]] == ["red-ship-1"]
    await asyncio.to_thread(cli.main, ["personal-data", "erase", "north", "ada", "--actor", "dpo@north.example"])
    assert "erased 1 shipping address(es) of north:ada" in capsys.readouterr().out
    held = (await api.get("/v1/customers/ada/personal-data", headers=admin("north"))).json()
    assert (held["shipping_addresses"], held["erasures"][0]["actor"]) == ([], "dpo@north.example")
