"""The door: a request under /v1 is authenticated before its body is read, parsed, waited for or stored."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.settings import gateway_settings
from services.gateway.tables import keys as keys_db
from tests.integration.gateway.conftest import admin, auth, bearer, fetch, stored_key

BROKEN = b'{"from_customer_id": "ada", '
TRANSFER = {"from_customer_id": "ada", "to_customer_id": "bo", "points": 5}


async def stored_claims(database_url: str, schema: str) -> int:
    rows = await fetch(database_url, schema, "SELECT count(*) AS n FROM idempotency_keys")
    return int(rows[0]["n"])


async def test_an_anonymous_or_unknown_write_with_a_broken_body_and_an_idempotency_key_is_a_401_storing_nothing(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    for credential in ({}, bearer("not-a-key"), {"Authorization": "Basic bm9ib2R5"}):
        headers = credential | {"Idempotency-Key": "k-1", "Content-Type": "application/json"}
        answer = await api.post("/v1/transfers", content=BROKEN, headers=headers)
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "unauthenticated"), answer.text
        assert answer.headers["www-authenticate"] == "Bearer"
    assert await stored_claims(database_url, db_schema) == 0


async def test_a_replay_to_a_key_revoked_since_is_a_401_and_not_the_stored_answer(api: httpx.AsyncClient) -> None:
    key_id, key = await stored_key(api, "north", "events:write", "read")
    headers = bearer(key) | {"Idempotency-Key": "transfer-1"}
    first = await api.post("/v1/transfers", json=TRANSFER, headers=headers)
    assert first.status_code == 202, first.text
    assert (await api.post("/v1/transfers", json=TRANSFER, headers=headers)).headers["idempotent-replayed"] == "true"
    assert (await api.delete(f"/v1/keys/{key_id}", headers=admin("north"))).status_code == 200
    replay = await api.post("/v1/transfers", json=TRANSFER, headers=headers)
    assert replay.status_code == 401
    assert "transfer_id" not in replay.text


async def test_a_webhook_carries_no_credential_so_its_idempotency_key_is_not_claimed(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    answer = await api.post("/v1/webhooks/shopify/north", content=BROKEN, headers={"Idempotency-Key": "k-1"})
    assert answer.status_code == 401
    assert await stored_claims(database_url, db_schema) == 0
    assert (await api.post("/v1/transfers", json=TRANSFER, headers=auth("north"))).status_code == 202


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The digests the gateway looks up in PostgreSQL; failed authentications limited to 3 per address."""
    monkeypatch.setenv("AUTH_FAILURE_BURST", "3")
    monkeypatch.setenv("AUTH_FAILURES_PER_SECOND", "0.001")
    gateway_settings.cache_clear()
    asked: list[str] = []
    by_digest = keys_db.by_digest

    async def counted(conn: object, key_sha256: str) -> object:
        asked.append(key_sha256)
        return await by_digest(conn, key_sha256)  # type: ignore[arg-type]

    monkeypatch.setattr(keys_db, "by_digest", counted)
    yield asked
    gateway_settings.cache_clear()


def from_address(app: FastAPI, host: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 4711)), base_url="http://gateway")


async def test_failed_authentications_are_limited_per_address_and_past_the_limit_cost_no_lookup(
    app: FastAPI, lookups: list[str]
) -> None:
    async with from_address(app, "10.0.0.7") as attacker, from_address(app, "10.0.0.8") as neighbour:
        _, stored = await stored_key(attacker, "north", "read")
        failed = [await attacker.get("/v1/rewards", headers=bearer(f"guess-{n}")) for n in range(3)]
        assert [answer.status_code for answer in failed] == [401, 401, 401]
        assert len(lookups) == 3
        for guess in ("guess-3", "guess-0", "Bearer", stored):
            refused = await attacker.get("/v1/rewards", headers=bearer(guess))
            assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited"), guess
            assert int(refused.headers["retry-after"]) >= 1
        assert len(lookups) == 3, "a refused guess looked a key up"
        assert (await attacker.get("/v1/rewards", headers=auth("north"))).status_code == 200
        assert (await neighbour.get("/v1/rewards", headers=bearer("guess-9"))).status_code == 401
        assert (await neighbour.get("/v1/rewards", headers=bearer(stored))).status_code == 200


async def test_an_unknown_key_tried_again_is_answered_from_memory(app: FastAPI, lookups: list[str]) -> None:
    async with from_address(app, "10.0.0.9") as client:
        for _ in range(2):
            assert (await client.get("/v1/rewards", headers=bearer("guess"))).status_code == 401
    assert len(lookups) == 1
