"""`Idempotency-Key` on every write under /v1: a retried request gets the first one's answer.

Plain ASGI middleware, after the door (`authentication`): only a request with a credential claims a
key, so nothing is stored for a caller without one, and a replay is only ever given to a credential
that passes the door again (a revoked key gets its 401). The claim `(owner, key)` is made in
PostgreSQL before the handler runs (the owner is a sha256 of the credential's shop and who it is:
the key, or the customer of a token), then the answer is stored. The same key with the same request
(sha256 of method, path, query and body) replays it byte for byte with `Idempotent-Replayed: true`;
with another request it is a 409 `idempotency_key_reused`; while the first is in flight a 409
`idempotency_key_in_progress`. Answers that a retry should not repeat (5xx, 401, 403, 429) are not
stored: the claim is released. Shopify's webhooks carry no credential and are deduplicated by their
event ids instead. Known gap: of a stored answer only the status, body and content type come back.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway import errors
from services.gateway.credentials import STATE, Credential
from services.gateway.postgres import idempotency as store
from services.gateway.requestbody import read_body, replaying
from services.gateway.write_settings import write_settings

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER = "Idempotency-Key"
NOT_STORED = frozenset({401, 403, 429})


def valid_key(values: list[str]) -> str | None:
    """The key if exactly one was sent and it is 1 to 255 printable ASCII characters."""
    if len(values) != 1 or not 1 <= len(values[0]) <= 255:
        return None
    return values[0] if all(" " <= c <= "~" for c in values[0]) else None


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """sha256 of the request; each part is length-prefixed, so no two requests run together alike."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def owner(credential: Credential) -> str:
    """Whose keys these are: two keys, or two customers, never share one."""
    return hashlib.sha256(f"{credential.shop}\x1f{credential.who}".encode()).hexdigest()


def storable(status: int) -> bool:
    return status < 500 and status not in NOT_STORED


class Idempotency:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        credential = scope.get("state", {}).get(STATE)
        if not isinstance(credential, Credential) or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        if not (sent := Headers(scope=scope).getlist(HEADER)):
            await self.app(scope, receive, send)
            return
        if (key := valid_key(sent)) is None:
            message = f"{HEADER} must be one value of 1 to 255 printable ASCII characters"
            await refusal(400, "invalid_idempotency_key", message, {"field": HEADER})(scope, receive, send)
            return
        body = await read_body(receive)
        request = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        claim = store.Claim(owner(credential), key, request, uuid.uuid4())
        await self.answer(scope, claim, body, receive, send)

    async def answer(self, scope: Scope, claim: store.Claim, body: bytes, receive: Receive, send: Send) -> None:
        pool, config = scope["app"].state.resources.pool, write_settings()
        stored = await store.claim(pool, claim, config.idempotency_ttl_seconds, config.idempotency_lease_seconds)
        if stored is not None:
            await earlier(stored, claim)(scope, receive, send)
            return
        recorder = Recorder()
        try:
            await self.app(scope, replaying(body, receive), recorder.send)
        except BaseException:
            await store.release(pool, claim)
            raise
        if storable(recorder.status):
            await store.answer(pool, claim, recorder.status, recorder.content_type, recorder.body())
        else:
            await store.release(pool, claim)
        for message in recorder.messages:
            await send(message)


class Recorder:
    """Holds the answer back until it is stored, so a client that has it can only get it again."""

    def __init__(self) -> None:
        self.status = 500
        self.content_type: str | None = None
        self.messages: list[Message] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.content_type = Headers(raw=message.get("headers", [])).get("content-type")
        self.messages.append(message)

    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")


def earlier(stored: store.Stored, claim: store.Claim) -> Response:
    """The answer to a key seen before: another request's 409, the first still in flight, or the replay."""
    if stored.fingerprint != claim.fingerprint:
        message = f"this {HEADER} was used for a different request; use a new key for a new request"
        return refusal(409, "idempotency_key_reused", message, {"field": HEADER})
    if stored.status is None:
        message = "a request with this key is still in flight; retry when it has been answered"
        return refusal(409, "idempotency_key_in_progress", message, {"field": HEADER}, {"Retry-After": "1"})
    headers = {"Idempotent-Replayed": "true"} | ({"Content-Type": stored.content_type} if stored.content_type else {})
    return Response(stored.body, stored.status, headers=headers)


def refusal(
    status: int, code: str, message: str, details: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(errors.body(code, message, details), status, headers=headers)


def install(app: FastAPI) -> None:
    """The middleware, and the header on every write of the OpenAPI document so clients and fuzzers see it."""
    app.add_middleware(Idempotency)
    app.description = (app.description + "\n\n" if app.description else "") + DESCRIPTION
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI's cached document, rebuilt only when the routes change
        document(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(schema: dict[str, Any]) -> None:
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items() if path.startswith("/v1/") else ():
            parameters = operation.get("parameters", [])
            if method.upper() not in WRITES or PARAMETER in parameters:
                continue
            operation["parameters"] = [*parameters, PARAMETER]
            for status, meaning in REFUSALS:
                operation["responses"].setdefault(status, {"description": meaning, **ERROR_CONTENT})


DESCRIPTION = (
    f"Every POST, PUT and DELETE under /v1 takes an optional `{HEADER}` header (1 to 255 printable ASCII "
    "characters): a retry with the same key and the same request gets the first answer again, with "
    "`Idempotent-Replayed: true`, for 24 hours. The same key with another request is a 409 "
    "`idempotency_key_reused`; while the first request is in flight, a 409 `idempotency_key_in_progress` "
    "with `Retry-After`. Keys are per API key (or per customer, for customer tokens), and a replay is only "
    "given to a credential that is still valid. 5xx, 401, 403 and 429 answers are not kept."
)
PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "makes a retry of this write return the first answer instead of running it again",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"},
}
REFUSALS = (("400", "an invalid request or Idempotency-Key"), ("409", "the key was used or is in flight"))
ERROR_CONTENT = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
