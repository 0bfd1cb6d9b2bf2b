"""Fixtures that run the real service processes against an isolated namespace and schema."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.gateway.migrations import migrate

LOGS = Path(".local/logs")
ProcessFactory = Callable[[str], subprocess.Popen[bytes]]


@pytest.fixture
def db_schema(database_url: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:10]}"
    asyncio.run(migrate(database_url, schema))
    yield schema

    async def drop() -> None:
        conn = await asyncpg.connect(database_url)
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()

    asyncio.run(drop())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def services(namespace: str, db_schema: str) -> Iterator[ProcessFactory]:
    """Starts `python -m <module>` with the test's topics and schema; kills them all afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    LOGS.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"TOPIC_NAMESPACE": namespace, "DATABASE_SCHEMA": db_schema, "METRICS_PORT": "0"}

    def start(module: str, **extra: str) -> subprocess.Popen[bytes]:
        log = open(LOGS / f"e2e-{module.rsplit('.', 1)[-1]}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", module], env=env | extra, stdout=log, stderr=log)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


@pytest.fixture
def gateway(services: ProcessFactory) -> Iterator[str]:
    port = free_port()
    services("services.gateway", GATEWAY_PORT=str(port))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "gateway did not become ready"
        time.sleep(0.2)
    yield url
