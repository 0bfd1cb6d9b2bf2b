"""Bounds a request meets before anyone asks who sent it: the body's size, at a real gateway process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.settings import gateway_settings
from tests.conftest import ProcessFactory, free_port, wait_ready
from tests.integration.gateway.conftest import auth

MB = 1 << 20
TASK = {"type": "TaskCompleted", "event_id": "t-1", "shop_id": "north", "customer_id": "ada",
        "occurred_at": "2026-05-01T00:00:00Z", "task": "signup"}  # fmt: skip


def resident_kb(pid: int) -> int:
    """The process's resident set (VmRSS) in kB."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def megabytes(count: int) -> Iterator[bytes]:
    block = b" " * MB
    for _ in range(count):
        yield block


async def kilobytes(count: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b" " * 1024


@pytest.fixture
def small_bodies(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("MAX_BODY_BYTES", "1000")
    gateway_settings.cache_clear()
    yield 1000
    gateway_settings.cache_clear()


def test_a_100_mb_anonymous_body_is_refused_with_a_413_and_the_gateway_holds_none_of_it(
    services: ProcessFactory,
) -> None:
    port = free_port()
    process = services("services.gateway", GATEWAY_PORT=str(port))
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    before = resident_kb(process.pid)
    with httpx.Client(base_url=url, timeout=120) as http:
        declared = http.post("/v1/events", content=megabytes(100), headers={"Content-Length": str(100 * MB)})
        streamed = http.post("/v1/events", content=megabytes(100))
    grown_mb = (resident_kb(process.pid) - before) / 1024
    for answer in (declared, streamed):
        assert answer.status_code == 413, answer.text[:200]
        assert answer.json()["error"]["code"] == "body_too_large"
    assert "content-length" not in streamed.request.headers
    assert grown_mb < 50, f"the gateway grew by {grown_mb:.0f} MB"


async def test_a_body_over_the_bound_is_a_413_before_the_credential_is_looked_at(
    app: FastAPI, small_bodies: int
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as api:
        for headers in ({}, auth("north"), {"Authorization": "Bearer nobody"}):
            declared = await api.post("/v1/events", content=b" " * (small_bodies + 1), headers=headers)
            streamed = await api.post("/v1/events", content=kilobytes(64), headers=headers)
            for answer in (declared, streamed):
                assert answer.status_code == 413
                assert answer.json()["error"] == {
                    "code": "body_too_large", "message": "the request body is larger than 1000 bytes",
                    "details": {"limit_bytes": 1000},
                }  # fmt: skip
        at_the_bound = await api.post("/v1/events", json=TASK, headers=auth("north"))
        assert at_the_bound.status_code == 202, at_the_bound.text


def started(services: ProcessFactory, **settings: str) -> str:
    port = free_port()
    services("services.gateway", GATEWAY_PORT=str(port), **settings)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return url


@pytest.mark.parametrize(("trusted", "expected"), [("", [401, 401, 429]), ("127.0.0.1", [401, 401, 401])])
def test_x_forwarded_for_names_the_client_only_behind_trusted_proxies(
    services: ProcessFactory, trusted: str, expected: list[int]
) -> None:
    url = started(services, AUTH_FAILURE_BURST="2", AUTH_FAILURES_PER_SECOND="0.001", TRUSTED_PROXIES=trusted)
    with httpx.Client(base_url=url, timeout=30) as http:
        answers = [
            http.get("/v1/rewards", headers={"Authorization": f"Bearer guess-{n}", "X-Forwarded-For": f"10.0.0.{n}"})
            for n in range(3)
        ]
    assert [answer.status_code for answer in answers] == expected
