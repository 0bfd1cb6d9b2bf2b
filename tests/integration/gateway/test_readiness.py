"""`/readyz` says not ready while the read models are further behind the ledger than the configured bound."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from services.gateway.settings import gateway_settings
from tests.integration.gateway.conftest import earned, produce_ledger, project_everything


@pytest.fixture
def strict_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READY_MAX_PROJECTION_LAG", "2")
    gateway_settings.cache_clear()


async def test_a_projection_behind_the_bound_is_not_ready_until_it_catches_up(
    strict_bound: None, api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    assert (await api.get("/readyz")).status_code == 200
    await asyncio.to_thread(produce_ledger, [earned(n, "ada", 10) for n in range(5)])
    behind = await api.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["error"]["message"] == "the read models are 5 ledger records behind (bound 2)"
    await asyncio.to_thread(project_everything, database_url, db_schema)
    assert (await api.get("/readyz")).json() == {"status": "ready"}


async def test_a_bound_of_zero_never_fails_readiness_on_lag(
    monkeypatch: pytest.MonkeyPatch, api: httpx.AsyncClient
) -> None:
    monkeypatch.setenv("READY_MAX_PROJECTION_LAG", "0")
    gateway_settings.cache_clear()
    await asyncio.to_thread(produce_ledger, [earned(n, "ada", 10) for n in range(5)])
    assert (await api.get("/readyz")).status_code == 200
