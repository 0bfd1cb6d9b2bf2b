"""The request body: bounded (MAX_BODY_BYTES), read once, handed on from memory.

A body over the bound is a 413 before anything else looks at the request, its sender included: a
`Content-Length` over the bound at once, without reading a byte; a body sent without one (chunked)
is counted as it arrives and refused at the first chunk past the bound. So one request never makes a
gateway hold more than the bound. Plain ASGI middleware, outermost but for the request metrics; the
body it has read goes on as one message, which the middlewares after it read again from memory.
"""

from __future__ import annotations

import sys

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway import errors
from services.gateway.settings import gateway_settings

WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LimitBody:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = gateway_settings().max_body_bytes
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await too_large(limit)(scope, receive, send)
            return
        if scope["method"] not in WITH_BODY:  # nothing reads their bodies
            await self.app(scope, receive, send)
            return
        body = await read_at_most(receive, limit)
        if body is None:
            await too_large(limit)(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)


def too_large(limit: int) -> JSONResponse:
    message = f"the request body is larger than {limit} bytes"
    return JSONResponse(errors.body("body_too_large", message, {"limit_bytes": limit}), 413)


async def read_body(receive: Receive) -> bytes:
    """The whole body: behind `LimitBody`, one message of at most the bound."""
    body = await read_at_most(receive, sys.maxsize)
    if body is None:  # read_at_most answers None only beyond its bound
        raise RuntimeError("a body beyond sys.maxsize")
    return body


async def read_at_most(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it grows past `limit` bytes (what is left is never read)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands on the body already read, then whatever comes next (a disconnect)."""
    unread = True

    async def next_message() -> Message:
        nonlocal unread
        if unread:
            unread = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return next_message
