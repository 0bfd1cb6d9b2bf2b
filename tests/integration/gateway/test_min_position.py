"""Bounds on reads that wait for `min_position`: what may be waited for, how many wait, and what they never hold up.

A position Kafka cannot have, or on a partition that does not exist, is a 400 at once; only so many
reads of a process wait at the same time; and writes are acknowledged even when every thread the
event loop lends out is busy, since the producer's deliveries and the waits' questions to Kafka
run on threads of their own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from services.common import topics
from services.gateway import offsets
from services.gateway.settings import gateway_settings
from tests.integration.gateway.conftest import auth

TASK = {"type": "TaskCompleted", "event_id": "t-1", "shop_id": "north", "customer_id": "ada",
        "occurred_at": "2026-05-01T00:00:00Z", "task": "signup"}  # fmt: skip


async def balance_after(api: httpx.AsyncClient, position: str, wait_ms: int = 30_000) -> httpx.Response:
    params = {"min_position": position, "max_wait_ms": str(wait_ms)}
    return await api.get("/v1/customers/ada/balance", params=params, headers=auth("north"))


async def test_a_position_kafka_cannot_have_or_on_a_partition_that_does_not_exist_is_a_400_at_once(
    api: httpx.AsyncClient,
) -> None:
    orders, ledger = topics.ORDERS.name, topics.LEDGER.name
    for position in (f"{orders}:2147483648:0", f"{orders}:3:0", f"{ledger}:0:9223372036854775807", "3:0",
                     "0:99999999999999999999", ",".join(["0:0"] * 11)):  # fmt: skip
        refused = await balance_after(api, position)
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_position"), position
        assert refused.json()["error"]["details"]["field"] == "min_position"


@pytest.fixture
def two_waits_at_most(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MIN_POSITION_MAX_WAITS", "2")
    gateway_settings.cache_clear()
    yield
    gateway_settings.cache_clear()


@pytest.mark.usefixtures("two_waits_at_most")
async def test_only_so_many_reads_wait_at_once_and_the_next_is_told_to_retry(
    app: FastAPI, api: httpx.AsyncClient
) -> None:
    never_reached = f"{topics.LEDGER.name}:0:1000000"
    waiting = [asyncio.create_task(balance_after(api, never_reached, 3_000)) for _ in range(2)]
    while offsets.waits(app.state).waiting < 2:
        await asyncio.sleep(0.01)
    refused = await balance_after(api, never_reached)
    assert (refused.status_code, refused.json()["error"]["code"]) == (503, "too_many_waits")
    assert refused.headers["retry-after"] == "1"
    assert [answer.status_code for answer in await asyncio.gather(*waiting)] == [409, 409]
    assert (await balance_after(api, never_reached, 0)).status_code == 409


async def test_writes_are_acknowledged_and_reads_wait_while_every_thread_the_event_loop_lends_is_busy(
    api: httpx.AsyncClient,
) -> None:
    loop, busy = asyncio.get_running_loop(), threading.Event()
    occupied = [loop.run_in_executor(None, busy.wait) for _ in range(64)]
    await asyncio.sleep(0.5)  # a call already on a lent thread when they were taken finishes (a poll is 0.1 s)
    try:
        written = await asyncio.wait_for(api.post("/v1/events", json=TASK, headers=auth("north")), 60)
        assert written.status_code == 202, written.text
        read = await asyncio.wait_for(balance_after(api, written.json()["positions"][0], 0), 60)
        assert read.json()["error"]["code"] == "view_behind"
    finally:
        busy.set()
        await asyncio.gather(*occupied)
