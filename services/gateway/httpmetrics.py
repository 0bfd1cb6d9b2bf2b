"""Request count and latency by route template, method and status, as plain ASGI middleware."""

from __future__ import annotations

import time

from fastapi.routing import iter_route_contexts
from prometheus_client import Counter, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("pointstream_gateway_requests_total", "HTTP requests", ["route", "method", "status"])
LATENCY = Histogram(
    "pointstream_gateway_request_seconds",
    "HTTP request latency",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            labels = (template(scope), scope["method"], str(status))
            REQUESTS.labels(*labels).inc()
            LATENCY.labels(*labels).observe(time.perf_counter() - started)


def template(scope: Scope) -> str:
    """The route's template, not the path, so customer ids do not become label values. A request refused
    before routing (at the door, or for its size) is matched here, so its route is still named."""
    if (route := scope.get("route")) is None:
        routes = iter_route_contexts(scope["app"].routes)
        route = next((r for r in routes if r.matches(scope)[0] != Match.NONE), None)
    return str(getattr(route, "path", "unmatched"))
