"""Session fixtures for real Kafka and PostgreSQL.

Order of preference: the servers named by KAFKA_BOOTSTRAP / DATABASE_URL; the local runtime
that `make test` starts (deploy/local); testcontainers where a Docker engine runs.
Each test that needs topics gets its own topic namespace, so tests never see each other's events.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import asyncpg
import httpx
import pytest

from services.common import admin
from services.common.settings import settings
from services.schema.migrations import migrate
from tests import namespaces
from tests.servers import free_port as free_port  # other test modules import it from here
from tests.servers import private_kafka, private_postgres  # noqa: F401 (fixtures for every test)

LOCAL_KAFKA = "127.0.0.1:9092"
DEMO_ENV = Path(__file__).resolve().parent.parent / "deploy" / "local" / "demo.env"


def demo_environment() -> dict[str, str]:
    """The demo's credentials (deploy/local/demo.env), as the local runtime scripts read them."""
    lines = (line.strip() for line in DEMO_ENV.read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


LOCAL_DATABASE = demo_environment()["DATABASE_URL"]
for _name, _value in demo_environment().items():  # the suite runs as the demo does, whoever starts it
    if _name != "DATABASE_URL":  # chosen by the `database_url` fixture: local, named, or a container
        os.environ.setdefault(_name, _value)


def _kafka_reachable(bootstrap: str) -> bool:
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5)
        return True
    except Exception:
        return False


def _docker_engine() -> bool:
    return bool(shutil.which("docker")) and subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP", LOCAL_KAFKA)
    if _kafka_reachable(bootstrap):
        os.environ["KAFKA_BOOTSTRAP"] = bootstrap
        yield bootstrap
        return
    if "KAFKA_BOOTSTRAP" not in os.environ and _docker_engine():
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            os.environ["KAFKA_BOOTSTRAP"] = container.get_bootstrap_server()
            settings.cache_clear()
            yield os.environ["KAFKA_BOOTSTRAP"]
        return
    pytest.fail(f"no Kafka at {bootstrap}: run `make test` (it starts the local runtime) or set KAFKA_BOOTSTRAP")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", LOCAL_DATABASE)
    if "DATABASE_URL" not in os.environ and _docker_engine() and not _postgres_reachable(url):
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer("postgres:15") as container:
            os.environ["DATABASE_URL"] = container.get_connection_url(driver=None)
            settings.cache_clear()
            yield os.environ["DATABASE_URL"]
        return
    if not _postgres_reachable(url):
        pytest.fail(f"no PostgreSQL at {url}: run `make test` or set DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    settings.cache_clear()
    yield url


def _postgres_reachable(url: str) -> bool:
    async def probe() -> None:
        conn = await asyncpg.connect(url, timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
        return True
    except Exception:
        return False


@pytest.fixture
def namespace(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh set of every topic of the registry under a unique prefix, deleted afterwards; the processors
    the test starts keep their state in its temporary directory."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    monkeypatch.setenv("TOPIC_NAMESPACE", prefix)
    monkeypatch.setenv("PARTITIONS", "3")
    monkeypatch.setenv("STATE_DIR", str(tmp_path / "state"))
    settings.cache_clear()
    admin.create_topics(3, kafka_bootstrap)
    yield prefix
    namespaces.delete_namespace(prefix, kafka_bootstrap)
    monkeypatch.delenv("TOPIC_NAMESPACE")
    settings.cache_clear()


LOGS = Path(".local/logs")


class ProcessFactory(Protocol):
    def __call__(self, module: str, **extra: str) -> subprocess.Popen[bytes]: ...


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
def gateway(services: ProcessFactory) -> str:
    port = free_port()
    services("services.gateway", GATEWAY_PORT=str(port))
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return url


def wait_ready(url: str, timeout_s: float = 30) -> None:
    """Until the gateway at `url` answers /readyz with 200."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "gateway did not become ready"
        time.sleep(0.2)
