"""API keys and customer tokens over HTTP and the command line: shown once, stored hashed, scoped, revoked, limited."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from services.cli import pointstream as cli
from services.gateway.settings import gateway_settings
from tests.integration.gateway.conftest import admin, auth, bearer, customer_token, fetch, stored_key

pytestmark = pytest.mark.usefixtures("shop_secrets")


async def test_an_admin_creates_a_key_shown_once_stored_as_its_digest_and_listed_without_it(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    created = await api.post("/v1/keys", json={"scopes": ["read"], "label": "storefront"}, headers=admin("north"))
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"], created.json()["key_id"]
    assert key.startswith(created.json()["prefix"])
    assert created.json()["scopes"] == ["read"]
    [row] = await fetch(database_url, db_schema, "SELECT * FROM api_keys")
    assert row["key_sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(dict(row))
    listed = (await api.get("/v1/keys", headers=admin("north"))).json()["keys"]
    assert [(k["key_id"], k["label"], k["revoked_at"]) for k in listed] == [(key_id, "storefront", None)]
    assert key not in str(listed)
    assert "key" not in listed[0]
    assert (await api.get("/v1/customers/nobody/balance", headers=bearer(key))).status_code == 404
    refused = await api.post("/v1/events", json={}, headers=bearer(key))
    assert (refused.status_code, refused.json()["error"]["details"]["scopes"]) == (403, ["events:write"])


async def test_a_revoked_key_is_refused_at_once_and_revoking_it_again_keeps_the_first_time(
    api: httpx.AsyncClient,
) -> None:
    key_id, key = await stored_key(api, "north", "read", "admin")
    assert (await api.get("/v1/keys", headers=bearer(key))).status_code == 200
    revoked = await api.delete(f"/v1/keys/{key_id}", headers=admin("north"))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    refused = await api.get("/v1/keys", headers=bearer(key))
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")
    again = await api.delete(f"/v1/keys/{key_id}", headers=admin("north"))
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


async def test_another_shop_neither_sees_nor_revokes_a_shops_keys(api: httpx.AsyncClient) -> None:
    key_id, key = await stored_key(api, "north", "read")
    assert (await api.get("/v1/keys", headers=admin("south"))).json() == {"keys": []}
    other = await api.delete(f"/v1/keys/{key_id}", headers=admin("south"))
    assert (other.status_code, other.json()["error"]["code"]) == (404, "unknown_key")
    assert other.json() == (await api.delete("/v1/keys/nonexistent", headers=admin("south"))).json() | {
        "error": other.json()["error"] | {"message": f"no key {key_id!r} in this shop"}
    }
    assert (await api.get("/v1/program", headers=bearer(key))).status_code == 200


async def test_keys_are_managed_with_an_admin_scope_and_known_scopes_only(api: httpx.AsyncClient) -> None:
    _, events_key = await stored_key(api, "north", "events:write", "read")
    for headers in (auth("north"), bearer(events_key), bearer(customer_token("north", "ada"))):
        assert (await api.get("/v1/keys", headers=headers)).status_code == 403
        assert (await api.post("/v1/keys", json={"scopes": ["admin"]}, headers=headers)).status_code == 403
    refused: list[dict[str, Any]] = [
        {"scopes": []}, {"scopes": ["root"]}, {"scopes": "read"}, {"scopes": ["read"], "shop_id": "south"},
    ]  # fmt: skip
    for body in refused:
        assert (await api.post("/v1/keys", json=body, headers=admin("north"))).status_code == 422


def test_an_operator_creates_lists_and_revokes_a_shops_keys_from_the_command_line(
    database_url: str, db_schema: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_SCHEMA", db_schema)
    cli.main(["keys", "create", "--shop", "west", "--scope", "read", "--scope", "events:write", "--label", "pos"])
    printed = capsys.readouterr().out
    key = next(line.removeprefix("key: ") for line in printed.splitlines() if line.startswith("key: "))
    key_id = printed.split()[0]
    cli.main(["keys", "list", "--shop", "west"])
    listed = capsys.readouterr().out
    assert (key_id in listed, "events:write,read" in listed, "active" in listed, key in listed) == (True,) * 3 + (
        False,
    )
    cli.main(["keys", "revoke", key_id])
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["keys", "revoke", "nonexistent"])
    assert "no key 'nonexistent'" in capsys.readouterr().err


async def test_a_shop_key_mints_a_short_lived_customer_token_that_reads_only_its_customer(
    api: httpx.AsyncClient,
) -> None:
    minted = await api.post("/v1/customers/ada/tokens", json={"ttl_seconds": 60}, headers=auth("north"))
    assert minted.status_code == 201, minted.text
    claims = jwt.decode(minted.json()["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["shop"], claims["exp"] - claims["iat"]) == ("ada", "north", 60)
    token = bearer(minted.json()["token"])
    assert (await api.get("/v1/customers/ada/balance", headers=token)).status_code == 404  # not projected: unknown
    assert (await api.get("/v1/customers/bo/balance", headers=token)).status_code == 403
    assert (await api.post("/v1/customers/ada/tokens", json={}, headers=token)).status_code == 403
    default = await api.post("/v1/customers/ada/tokens", headers=admin("north"))
    claims = jwt.decode(default.json()["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600
    too_long = await api.post("/v1/customers/ada/tokens", json={"ttl_seconds": 3601}, headers=auth("north"))
    assert (too_long.status_code, too_long.json()["error"]["details"]["field"]) == (422, "ttl_seconds")
    _, events_key = await stored_key(api, "north", "events:write")
    assert (await api.post("/v1/customers/ada/tokens", headers=bearer(events_key))).status_code == 403


async def test_a_token_longer_lived_than_the_maximum_is_refused(api: httpx.AsyncClient) -> None:
    token = bearer(customer_token("north", "ada", ttl=7200))
    refused = await api.get("/v1/customers/ada/balance", headers=token)
    assert (refused.status_code, refused.json()["error"]["message"]) == (401, "invalid customer token")


async def test_each_key_and_each_customer_has_its_own_rate_limit_answered_with_retry_after(
    app: FastAPI, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_SECOND", "0.5")
    monkeypatch.setenv("RATE_LIMIT_BURST", "2")
    gateway_settings.cache_clear()
    statuses = [(await api.get("/v1/program", headers=auth("north"))).status_code for _ in range(3)]
    limited = await api.get("/v1/program", headers=auth("north"))
    assert statuses == [200, 200, 429]
    assert (limited.headers["retry-after"], limited.json()["error"]["code"]) == ("2", "rate_limited")
    assert (await api.get("/v1/program", headers=auth("south"))).status_code == 200
    first, second = customer_token("north", "ada"), customer_token("north", "ada", ttl=300)
    codes = [await status(api, "/v1/rewards", token) for token in (first, second, first)]
    assert codes == [200, 200, 429]
    assert await status(api, "/v1/rewards", customer_token("north", "bo")) == 200


async def status(api: httpx.AsyncClient, path: str, credential: str, **request: Any) -> int:
    return (await api.get(path, headers=bearer(credential), **request)).status_code


async def test_each_key_mints_customer_tokens_at_a_bounded_rate_so_invented_customers_cost_little(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOMER_TOKEN_MINT_BURST", "3")
    monkeypatch.setenv("CUSTOMER_TOKEN_MINTS_PER_SECOND", "0.01")
    gateway_settings.cache_clear()
    minted = [await api.post(f"/v1/customers/invented-{n}/tokens", headers=auth("north")) for n in range(4)]
    assert [answer.status_code for answer in minted] == [201, 201, 201, 429]
    assert (minted[-1].json()["error"]["code"], int(minted[-1].headers["retry-after"])) == ("rate_limited", 100)
    assert (await api.get("/v1/program", headers=auth("north"))).status_code == 200
    assert (await api.post("/v1/customers/ada/tokens", headers=admin("north"))).status_code == 201


async def test_a_new_key_or_token_is_never_stored_for_a_retry_which_is_told_the_secret_was_shown_once(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    created = await api.post("/v1/keys", json={"scopes": ["read"]}, headers=admin("north") | {"Idempotency-Key": "k"})
    minted = await api.post("/v1/customers/ada/tokens", headers=auth("north") | {"Idempotency-Key": "t"})
    assert (created.status_code, minted.status_code) == (201, 201)
    secrets = (created.json()["key"], minted.json()["token"])
    stored = await fetch(database_url, db_schema, "SELECT body FROM idempotency_keys")
    assert len(stored) == 2
    assert not [row for row in stored for secret in secrets if secret.encode() in bytes(row["body"])]
    for first, headers in ((created, admin("north")), (minted, auth("north"))):
        assert first.headers["cache-control"] == "no-store"
        again = headers | {"Idempotency-Key": first.request.headers["idempotency-key"]}
        retry = await api.request(first.request.method, first.request.url.path, content=first.request.content,
                                  headers=again)  # fmt: skip
        assert (retry.status_code, retry.headers["idempotent-replayed"]) == (409, "true")
        error = retry.json()["error"]
        assert (error["code"], error["details"]["status"]) == ("secret_shown_once", 201)
        assert error["details"]["answer"] == {k: v for k, v in first.json().items() if k not in ("key", "token")}
    listed = (await api.get("/v1/keys", headers=admin("north"))).json()["keys"]
    assert [key["key_id"] for key in listed] == [created.json()["key_id"]]
