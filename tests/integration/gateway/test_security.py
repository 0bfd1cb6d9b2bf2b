"""Cross-tenant security: every route of the app, against every foreign, broken or insufficient credential.

The routes are walked from the app itself, so a route added without a case here fails
`test_every_route_of_the_app_has_a_case`. North is the shop under attack; south is the other shop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from services.gateway.app import create_app
from tests.integration.gateway.conftest import (
    admin,
    auth,
    bearer,
    customer_token,
    earned,
    produce_ledger,
    project_everything,
    stored_key,
)  # fmt: skip

PUBLIC, SIGNED = "public", "signed (its own signature, not a bearer credential)"
EVENTS, READ, ADMIN, TRANSFER, MINT = "events:write", "read", "admin", "admin or events:write", "read: mint a token"
OWN_CUSTOMER, CATALOG, OWN_REDEMPTION, REDEEM = (
    "read or own token",
    "read or any token",
    "read or own token's",
    "redeem",
)
CUSTOMER_KINDS = {OWN_CUSTOMER, CATALOG, OWN_REDEMPTION, REDEEM}
MUG = {"name": "NorthOnlyMug", "kind": "physical", "points_price": 500, "stock": 5}
TASK = {"type": "TaskCompleted", "event_id": "sec-1", "shop_id": "north", "customer_id": "ada",
        "occurred_at": "2026-05-01T00:00:00Z", "task": "signup"}  # fmt: skip


@dataclass(frozen=True)
class Case:
    kind: str
    body: Any = None
    ok: int = 200
    other_shop: int | None = None
    """Status for the other shop's key with every scope; by default `ok`: it acts in its own shop."""


ROUTES: dict[tuple[str, str], Case] = {
    **{("GET", path): Case(PUBLIC) for path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")},
    **{("GET", path): Case(PUBLIC) for path in ("/healthz", "/readyz")},
    ("GET", "/v1/customers/{customer_id}/balance"): Case(OWN_CUSTOMER, other_shop=404),
    ("GET", "/v1/customers/{customer_id}/ledger"): Case(OWN_CUSTOMER, other_shop=404),
    ("GET", "/v1/customers/{customer_id}/tier"): Case(OWN_CUSTOMER, other_shop=404),
    ("POST", "/v1/customers/{customer_id}/tokens"): Case(MINT, {}, 201),
    ("POST", "/v1/customers/{customer_id}/adjustments"): Case(ADMIN, {"points": 5, "reason": "goodwill"}, 202),
    ("POST", "/v1/customers/{customer_id}/freeze"): Case(ADMIN, {"reason": "check"}, 202),
    ("POST", "/v1/customers/{customer_id}/unfreeze"): Case(ADMIN, {"reason": "cleared"}, 202),
    ("GET", "/v1/customers/{customer_id}/personal-data"): Case(ADMIN),
    ("DELETE", "/v1/customers/{customer_id}/personal-data"): Case(ADMIN),
    ("POST", "/v1/events"): Case(EVENTS, TASK, 202, other_shop=403),
    ("PUT", "/v1/program"): Case(ADMIN, {}, 202),
    ("GET", "/v1/program"): Case(READ),
    ("PUT", "/v1/rewards/{reward_id}"): Case(ADMIN, MUG, 202),
    ("GET", "/v1/rewards"): Case(CATALOG),
    ("GET", "/v1/rewards/{reward_id}"): Case(CATALOG, other_shop=404),
    ("POST", "/v1/redemptions"): Case(REDEEM, {"customer_id": "ada", "reward_id": "north-mug"}, 202),
    ("GET", "/v1/redemptions/{redemption_id}"): Case(OWN_REDEMPTION, other_shop=404),
    ("POST", "/v1/redemptions/{redemption_id}/cancel"): Case(ADMIN, {"reason": "returned"}, 202, other_shop=404),
    ("POST", "/v1/transfers"): Case(TRANSFER, {"from_customer_id": "ada", "to_customer_id": "bo", "points": 1}, 202),
    ("POST", "/v1/webhooks/shopify/{shop_id}"): Case(SIGNED, {}, 401),
    ("POST", "/v1/keys"): Case(ADMIN, {"scopes": ["read"]}, 201),
    ("GET", "/v1/keys"): Case(ADMIN),
    ("DELETE", "/v1/keys/{key_id}"): Case(ADMIN, other_shop=404),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(method, route.path) for route in iter_route_contexts(app.routes) if route.path and route.methods
            for method in route.methods - {"HEAD"}}  # fmt: skip


def test_every_route_of_the_app_has_a_case() -> None:
    routes = app_routes(create_app())
    assert routes - set(ROUTES) == set(), "add a case to ROUTES: what does the new route need?"
    assert set(ROUTES) - routes == set(), "a case for a route that is gone"


@dataclass
class North:
    """North's data and credentials; `markers` are what no other credential may ever be shown."""

    params: dict[str, str]
    keys: dict[str, str]
    markers: set[str]


@pytest.fixture
async def north(api: httpx.AsyncClient, database_url: str, db_schema: str, shop_secrets: dict[str, str]) -> North:
    produce_ledger([earned(1, "ada", 4242)])
    await asyncio.to_thread(project_everything, database_url, db_schema)
    assert (await api.put("/v1/rewards/north-mug", json=MUG, headers=admin("north"))).status_code == 202
    assert (await api.put("/v1/program", json={"daily_cap": 777}, headers=admin("north"))).status_code == 202
    redemption = {"customer_id": "ada", "reward_id": "north-mug", "redemption_id": "north-red-1"}
    assert (await api.post("/v1/redemptions", json=redemption, headers=auth("north"))).status_code == 202
    keys = {name: await stored_key(api, "north", *scopes, label=f"north-{name}") for name, scopes in (
        ("target", [READ]), ("revoked", [EVENTS, READ, ADMIN]), ("read", [READ]), ("events", [EVENTS]),
        ("no-admin", [EVENTS, READ]),
    )}  # fmt: skip
    assert (await api.delete(f"/v1/keys/{keys['revoked'][0]}", headers=admin("north"))).status_code == 200
    _, everything_south = await stored_key(api, "south", EVENTS, READ, ADMIN)
    params = {"customer_id": "ada", "reward_id": "north-mug", "redemption_id": "north-red-1", "shop_id": "north",
              "key_id": keys["target"][0]}  # fmt: skip
    credentials = {name: key for name, (_, key) in keys.items()} | {"south": everything_south}
    # Numbers as JSON values (after a colon), so that random ids in an answer cannot contain them.
    markers = {"north", "NorthOnlyMug", ":4242", ":777"} | {key_id for key_id, _ in keys.values()}
    return North(params, credentials, markers)


def tampered(token: str) -> str:
    header, _, signature = token.split(".")
    claims = {"sub": "ada", "shop": "north", "iat": int(time.time()), "exp": int(time.time()) + 600}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


Attack = Callable[[North], dict[str, str]]
REFUSED_WITHOUT_A_VALID_CREDENTIAL: dict[str, Attack] = {
    "no credential": lambda _: {},
    "a malformed header": lambda _: {"Authorization": "Token north-key"},
    "an empty bearer": lambda _: {"Authorization": "Bearer "},
    "a revoked key": lambda n: bearer(n.keys["revoked"]),
    "an expired token": lambda _: bearer(customer_token("north", "ada", ttl=60, issued=int(time.time()) - 120)),
    "a tampered token": lambda _: bearer(tampered(customer_token("north", "bo"))),
    "a token signed with another shop's secret": lambda _: bearer(customer_token("north", "ada", signer="south")),
}


async def attempt(api: httpx.AsyncClient, method: str, template: str, north: North, headers: dict[str, str]) -> Any:
    case = ROUTES[(method, template)]
    path = template.format(**north.params)
    return await api.request(method, path, json=case.body, headers=headers)


def leaks(response: httpx.Response, north: North, method: str, template: str) -> set[str]:
    """North's markers in the answer that the request itself did not carry."""
    asked = template.format(**north.params) + json.dumps(ROUTES[(method, template)].body)
    return {marker for marker in north.markers if marker in response.text and marker not in asked}


def protected(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(route for route in app_routes(app) if ROUTES[route].kind != PUBLIC)


async def test_every_route_refuses_a_missing_malformed_revoked_expired_tampered_or_foreign_signed_credential(
    app: FastAPI, api: httpx.AsyncClient, north: North
) -> None:
    wrong = []
    for (method, template), (attack, headers) in (
        (route, (name, make(north)))
        for route in protected(app)
        for name, make in REFUSED_WITHOUT_A_VALID_CREDENTIAL.items()
    ):
        response = await attempt(api, method, template, north, headers)
        challenge = ROUTES[(method, template)].kind == SIGNED or response.headers.get("www-authenticate") == "Bearer"
        if response.status_code != 401 or not challenge or "error" not in response.json():
            wrong.append((method, template, attack, response.status_code, response.text[:120]))
        elif found := leaks(response, north, method, template):
            wrong.append((method, template, attack, "leaks", found))
    assert wrong == []


def lacking(kind: str, north: North) -> dict[str, str]:
    """A key of north without the scope `kind` needs."""
    name = {EVENTS: "read", REDEEM: "read", TRANSFER: "read", ADMIN: "no-admin"}.get(kind, "events")
    return bearer(north.keys[name])


async def test_a_key_without_the_scope_a_route_needs_is_forbidden(
    app: FastAPI, api: httpx.AsyncClient, north: North
) -> None:
    wrong = []
    for method, template in protected(app):
        kind = ROUTES[(method, template)].kind
        response = await attempt(api, method, template, north, lacking(kind, north))
        expected = 401 if kind == SIGNED else 403
        if response.status_code != expected or leaks(response, north, method, template):
            wrong.append((method, template, response.status_code, response.text[:120]))
    assert wrong == []


def for_another_customer(kind: str) -> int:
    """What a token of north's customer bo gets on a route about ada (or about no customer)."""
    return {CATALOG: 200, OWN_REDEMPTION: 404, SIGNED: 401}.get(kind, 403)


async def test_a_customer_token_reaches_only_its_own_customer_and_the_catalog(
    app: FastAPI, api: httpx.AsyncClient, north: North
) -> None:
    bo = bearer(customer_token("north", "bo"))
    wrong = []
    for method, template in protected(app):
        response = await attempt(api, method, template, north, bo)
        expected = for_another_customer(ROUTES[(method, template)].kind)
        if response.status_code != expected or (expected != 200 and ":4242" in response.text):
            wrong.append((method, template, response.status_code, response.text[:120]))
    assert wrong == []
    hidden = await api.get("/v1/redemptions/north-red-1", headers=bo)
    unknown = await api.get("/v1/redemptions/never-made", headers=bo)
    assert hidden.json()["error"]["code"] == unknown.json()["error"]["code"] == "unknown_redemption"


async def test_another_shops_key_with_every_scope_acts_in_its_own_shop_and_never_sees_norths_data(
    app: FastAPI, api: httpx.AsyncClient, north: North
) -> None:
    wrong = []
    for method, template in protected(app):
        case = ROUTES[(method, template)]
        response = await attempt(api, method, template, north, bearer(north.keys["south"]))
        expected = case.other_shop or case.ok
        if response.status_code != expected or leaks(response, north, method, template):
            wrong.append((method, template, response.status_code, response.text[:160]))
    assert wrong == []
    for customer_route in ("balance", "ledger", "tier"):
        south_token = bearer(customer_token("south", "ada"))
        assert (await api.get(f"/v1/customers/ada/{customer_route}", headers=south_token)).status_code == 404
    listed = (await api.get("/v1/keys", headers=admin("north"))).json()["keys"]
    assert next(k for k in listed if k["key_id"] == north.params["key_id"])["revoked_at"] is None


async def test_the_right_credential_passes_every_route(app: FastAPI, api: httpx.AsyncClient, north: North) -> None:
    """The other tests' refusals are the credentials' doing, not the sample requests'."""
    ada = bearer(customer_token("north", "ada"))
    right = {EVENTS: auth("north"), READ: auth("north"), ADMIN: admin("north"), TRANSFER: auth("north"),
             MINT: auth("north"), OWN_CUSTOMER: ada, CATALOG: ada, OWN_REDEMPTION: ada, REDEEM: ada}  # fmt: skip
    wrong = []
    for method, template in protected(app):
        case = ROUTES[(method, template)]
        if case.kind == SIGNED:
            continue
        response = await attempt(api, method, template, north, right[case.kind])
        if response.status_code != case.ok:
            wrong.append((method, template, response.status_code, response.text[:160]))
    assert wrong == []
