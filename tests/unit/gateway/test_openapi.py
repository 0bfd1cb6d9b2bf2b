"""The OpenAPI document: examples for what a shop's engineer reads first, and read-your-writes on every read."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.app import create_app


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    found: dict[str, Any] = create_app().openapi()
    return found


@pytest.mark.parametrize(
    "model", ["BalanceOut", "LedgerPage", "TierOut", "Accepted", "RedemptionOut", "RedemptionBody", "ErrorBody"]
)
def test_the_main_shapes_carry_an_example(document: dict[str, Any], model: str) -> None:
    schema = document["components"]["schemas"][model]
    assert schema["examples"], model
    assert set(schema["examples"][0]) <= set(schema["properties"])


def test_publishing_events_shows_a_single_event_and_a_batch(document: dict[str, Any]) -> None:
    examples = document["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert examples["order"]["value"]["type"] == "OrderPaid"
    assert [e["type"] for e in examples["batch"]["value"]] == ["OrderRefunded", "TaskCompleted"]


CUSTOMER = "/v1/customers/{customer_id}"
READS = [f"{CUSTOMER}/balance", f"{CUSTOMER}/ledger", f"{CUSTOMER}/tier", "/v1/program", "/v1/rewards",
         "/v1/rewards/{reward_id}", "/v1/redemptions/{redemption_id}"]  # fmt: skip


@pytest.mark.parametrize("path", READS)
def test_every_read_of_a_read_model_takes_min_position(document: dict[str, Any], path: str) -> None:
    operation = document["paths"][path]["get"]
    assert {"min_position", "max_wait_ms"} <= {p["name"] for p in operation["parameters"]}
    assert "409" in operation["responses"]
