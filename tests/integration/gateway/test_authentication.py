"""The door: a request under /v1 is authenticated before its body is read, parsed, waited for or stored."""

from __future__ import annotations

import httpx

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
