"""How the OpenAPI document tells of `Idempotency-Key`: the header on every write under /v1, and what it does."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.gateway.idempotency import HEADER, WRITES, Idempotency


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
    "given to a credential that is still valid. 5xx, 401, 403 and 429 answers are not kept; after a 5xx the "
    "key stays bound to its request, which may be sent again. A command without an id of its own (a transfer, "
    "an adjustment, a redemption, a freeze) takes one from the key, so its retry is the same command. An answer "
    "holding a secret (a new key, a customer token) is kept without it: a retry gets a 409 `secret_shown_once` "
    "with the rest of the first answer in `details.answer`."
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
