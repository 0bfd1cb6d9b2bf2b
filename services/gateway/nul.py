"""Text with the NUL character is refused at the door (400), wherever it is: path, query or JSON body.

PostgreSQL's `text` and `jsonb` cannot hold it, so an id or a program carrying one would fail every
statement that stores it: a 500 at the gateway, or worse, a record the projector can never write.
Plain ASGI middleware: a request's body is read once and handed on unchanged.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway import errors
from services.gateway.requestbody import WITH_BODY, read_body, replaying

NUL = b"\x00"
# JSON's escaped NUL, unless its backslash is itself escaped (then it is a backslash and "u0000").
ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def carries_nul(data: bytes) -> bool:
    return NUL in data or ESCAPED_NUL.search(data) is not None


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        where = "path" if "\x00" in scope["path"] else "query" if NUL in unquote_to_bytes(scope["query_string"]) else ""
        if not where and scope["method"] in WITH_BODY:
            body = await read_body(receive)
            where, receive = ("body" if carries_nul(body) else ""), replaying(body, receive)
        if where:
            message = "text may not contain the NUL character (U+0000)"
            await JSONResponse(errors.body("invalid_request", message, {"field": where}), 400)(scope, receive, send)
            return
        await self.app(scope, receive, send)
