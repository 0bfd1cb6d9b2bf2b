"""A command retried after an answer that never came, or a 503 whose outcome was unknown, is taken once.

A command whose caller chose no id takes one from its Idempotency-Key, and after a 5xx the key stays
bound to its request: the retry runs again as the same command, which the redeem service ignores as
a duplicate, and no other request can take the key.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from services.common import topics
from services.gateway import commands
from services.gateway.publish import produce_all, unacknowledged
from tests.integration.gateway.conftest import admin, auth
from tests.integration.gateway.test_idempotency import published

COMMANDS: dict[str, tuple[dict[str, Any], dict[str, str], str]] = {
    "/v1/transfers": ({"from_customer_id": "ada", "to_customer_id": "bo", "points": 5}, auth("north"), "transfer_id"),
    "/v1/customers/ada/adjustments": ({"points": 5, "reason": "goodwill"}, admin("north"), "adjustment_id"),
    "/v1/customers/ada/freeze": ({"reason": "check"}, admin("north"), "event_id"),
    "/v1/redemptions": ({"customer_id": "ada", "reward_id": "mug"}, auth("north"), "redemption_id"),
}


@pytest.fixture
def acknowledgement_lost_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker takes each route's first command, and its acknowledgement never reaches the request."""
    lost: set[bytes] = set()

    async def produced_unanswered(producer: Any, records: list[tuple[str, bytes, bytes]]) -> list[str]:
        positions = await produce_all(producer, records)
        if records[0][1] not in lost:
            lost.add(records[0][1])
            raise unacknowledged("the acknowledgement was lost")
        return positions

    monkeypatch.setattr(commands, "produce_all", produced_unanswered)


async def command_ids(field: str) -> set[Any]:
    records = await asyncio.to_thread(published, topics.REDEMPTION_REQUESTS.name)
    return {decoded.record[field] for _, decoded in records}


@pytest.mark.parametrize("path", COMMANDS)
@pytest.mark.usefixtures("acknowledgement_lost_once")
async def test_a_command_retried_with_its_idempotency_key_after_a_503_is_the_same_command(
    api: httpx.AsyncClient, path: str
) -> None:
    body, credential, field = COMMANDS[path]
    headers = credential | {"Idempotency-Key": f"retried {path}"}
    first = await api.post(path, json=body, headers=headers)
    assert (first.status_code, first.headers["retry-after"]) == (503, "1")
    assert "same Idempotency-Key" in first.json()["error"]["message"]
    other = await api.post(path, json=body | {"reason": "another"} if "reason" in body else body | {"points": 6},
                           headers=headers)  # fmt: skip
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_key_reused")
    retry = await api.post(path, json=body, headers=headers)
    assert retry.status_code == 202, retry.text
    assert len(await command_ids("event_id")) == 1
    assert len(await command_ids(field)) == 1
    without_a_key = [await api.post(path, json=body, headers=credential) for _ in range(2)]
    assert [answer.status_code for answer in without_a_key] == [202, 202]
    assert len(await command_ids("event_id")) == 3, "without a key, each request is a new command"


async def test_a_request_that_crashed_leaves_its_key_to_the_same_request_only(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crashed(*_: Any) -> list[str]:
        raise RuntimeError("the process fell over mid-request")

    monkeypatch.setattr(commands, "produce_all", crashed)
    body, headers = COMMANDS["/v1/transfers"][:2]
    transport = httpx.ASGITransport(app=api._transport.app, raise_app_exceptions=False)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        keyed = headers | {"Idempotency-Key": "crashed"}
        assert (await client.post("/v1/transfers", json=body, headers=keyed)).status_code == 500
        monkeypatch.setattr(commands, "produce_all", produce_all)
        other = await client.post("/v1/transfers", json=body | {"points": 6}, headers=keyed)
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        assert (await client.post("/v1/transfers", json=body, headers=keyed)).status_code == 202
