"""`Idempotency-Key` on every write under /v1: a retried request gets the first one's answer.

Plain ASGI middleware, after the door (`authentication`): only a request with a credential claims a
key, so nothing is stored for a caller without one, and a replay is only ever given to a credential
that passes the door again (a revoked key gets its 401). The claim `(owner, key)` is made in
PostgreSQL before the handler runs (the owner is a sha256 of the credential's shop and who it is:
the key, or the customer of a token), then the answer is stored. The same key with the same request
(sha256 of method, path, query and body) replays it byte for byte with `Idempotent-Replayed: true`;
with another request it is a 409 `idempotency_key_reused`; while the first is in flight a 409
`idempotency_key_in_progress`. A 401, 403 or 429 did nothing: the claim is released. After a 5xx (or
a crash) what was done is unknown: the key stays bound to its request, which may run again, with
the same command ids (`commands.command_id`), so it is taken once downstream. An answer marked
`Cache-Control: no-store` holds a secret shown once (a new key, a customer token): it is stored
without its secret fields, and a retry gets a 409 `secret_shown_once` with the rest. Shopify's
webhooks carry no credential and are deduplicated by their event ids instead.
Known gap: of a stored answer only the status, body and content type come back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway import errors, shown_once
from services.gateway.credentials import STATE, Credential
from services.gateway.requestbody import read_body, replaying
from services.gateway.tables import idempotency as store
from services.gateway.write_settings import write_settings

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER = "Idempotency-Key"
NOT_STORED = frozenset({401, 403, 429})
CLAIM = "idempotency_claim"
"""Where the request's state holds its claim: a command without an id of its own takes one from it (`commands`)."""


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
        scope.setdefault("state", {})[CLAIM] = claim
        try:
            await self.app(scope, replaying(body, receive), recorder.send)
        except BaseException:
            await store.unsettle(pool, claim)
            raise
        if storable(recorder.status):
            await store.answer(pool, claim, recorder.status, recorder.content_type, *kept(recorder))
        elif recorder.status >= 500:
            await store.unsettle(pool, claim)
        else:
            await store.release(pool, claim)
        for message in recorder.messages:
            await send(message)


class Recorder:
    """Holds the answer back until it is stored, so a client that has it can only get it again."""

    def __init__(self) -> None:
        self.status = 500
        self.content_type: str | None = None
        self.shown_once = False
        self.messages: list[Message] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = Headers(raw=message.get("headers", []))
            self.status, self.content_type = message["status"], headers.get("content-type")
            self.shown_once = "no-store" in headers.get("cache-control", "")
        self.messages.append(message)

    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")


def kept(recorder: Recorder) -> tuple[bytes, bool]:
    """What is stored of an answer, and whether a secret was withheld from it."""
    if not recorder.shown_once:
        return recorder.body(), False
    return shown_once.without_secrets(recorder.body()), True


def earlier(stored: store.Stored, claim: store.Claim) -> Response:
    """The answer to a key seen before: another request's 409, the first still in flight, or the replay."""
    if stored.fingerprint != claim.fingerprint:
        message = f"this {HEADER} was used for a different request; use a new key for a new request"
        return refusal(409, "idempotency_key_reused", message, {"field": HEADER})
    if stored.status is None:
        message = "a request with this key is still in flight; retry when it has been answered"
        return refusal(409, "idempotency_key_in_progress", message, {"field": HEADER}, {"Retry-After": "1"})
    if stored.withheld:
        message = (f"the first request with this {HEADER} was answered {stored.status} with a secret, which is "
                   "shown once and never stored: its other fields are in details.answer")  # fmt: skip
        details = {"field": HEADER, "status": stored.status, "answer": json.loads(stored.body)}
        return refusal(409, "secret_shown_once", message, details, {"Idempotent-Replayed": "true"})
    headers = {"Idempotent-Replayed": "true"} | ({"Content-Type": stored.content_type} if stored.content_type else {})
    return Response(stored.body, stored.status, headers=headers)


def refusal(
    status: int, code: str, message: str, details: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(errors.body(code, message, details), status, headers=headers)
