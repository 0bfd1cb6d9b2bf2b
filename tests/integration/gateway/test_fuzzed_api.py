"""Every operation of the gateway's own OpenAPI document, fuzzed by schemathesis: no input gets a 5xx.

One real gateway process on real Kafka and PostgreSQL serves the whole module. Each generated
request is sent with a shop key and with an admin key, so the handlers behind authentication are
reached; the answers must be valid HTTP with a JSON error body whenever they are 4xx.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from services.common import admin
from services.gateway.migrations import migrate
from tests.conftest import LOGS, free_port, wait_ready
from tests.integration.gateway import hostile_parameters

Operation = schemathesis.APIOperation[Any, Any, Any, Any]
UNPARSEABLE = "Invalid HTTP request received."
"""uvicorn's own 400 to bytes that are not HTTP (a header value no parser accepts): the app never sees them."""
SHOP_KEY, ADMIN_KEY = "fuzz-shop-key", "fuzz-admin-key"
KEYS = (SHOP_KEY, ADMIN_KEY)


@pytest.fixture(scope="module")
def namespace_of_module() -> str:
    return f"f{uuid.uuid4().hex[:10]}."


@pytest.fixture(scope="module")
def gateway_url(kafka_bootstrap: str, database_url: str, namespace_of_module: str) -> Iterator[str]:
    """A gateway process with its own topics and schema, for every operation of the module."""
    namespace, schema, port = namespace_of_module, f"f_{uuid.uuid4().hex[:10]}", free_port()
    env = os.environ | {"TOPIC_NAMESPACE": namespace, "PARTITIONS": "3", "DATABASE_SCHEMA": schema,
                        "GATEWAY_PORT": str(port), "SHOP_API_KEYS": f"fuzz:{SHOP_KEY}",
                        "ADMIN_API_KEYS": f"fuzz:{ADMIN_KEY}", "SHOP_SECRETS": "fuzz:fuzz-secret",
                        "RATE_LIMIT_PER_SECOND": "0", "AUTH_FAILURES_PER_SECOND": "0", "METRICS_PORT": "0",
                        "KAFKA_BOOTSTRAP": kafka_bootstrap}  # fmt: skip
    subprocess.run([sys.executable, "-m", "services.common.cli", "topics", "create", "--partitions", "3"],
                   env=env, check=True, capture_output=True)  # fmt: skip
    asyncio.run(migrate(database_url, schema))
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / "fuzz-gateway.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        yield url
    finally:
        process.kill()
        process.wait()
        admin.delete_namespace(namespace, kafka_bootstrap)
        asyncio.run(_drop(database_url, schema))


async def _drop(database_url: str, schema: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def operations(gateway_url: str, namespace_of_module: str) -> list[Operation]:
    document = schemathesis.openapi.from_url(f"{gateway_url}/openapi.json")
    hostile_parameters.install(document, namespace_of_module)
    return [result.ok() for result in document.get_all_operations()]  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_generated_request_gets_a_server_error(
    operations: list[Operation], gateway_url: str, mode: GenerationMode
) -> None:
    assert len(operations) > 15, "the document lost its operations"
    for operation in operations:
        fuzz(operation, gateway_url, mode)


def fuzz(operation: Operation, gateway_url: str, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(mode))
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answers_without_a_server_error(case: schemathesis.Case[Any]) -> None:
        for key in KEYS:
            response = case.call(base_url=gateway_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
            if response.status_code >= 400 and response.text != UNPARSEABLE:
                assert set(response.json()["error"]) == {"code", "message", "details"}, f"{where}: {response.text}"

    try:
        answers_without_a_server_error()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, f"no valid request for {operation.label}"  # nothing to break in it


def test_no_number_past_an_integer_width_in_any_query_path_or_header_parameter_gets_a_server_error(
    operations: list[Operation], gateway_url: str, namespace_of_module: str
) -> None:
    wrong = []
    for case in (case for operation in operations for case in hostile_parameters.cases(operation, namespace_of_module)):
        for key in KEYS:
            response = case.call(base_url=gateway_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
            if response.status_code >= 500:
                wrong.append(f"{case.method} {case.formatted_path} {case.query} {case.headers}: {response.status_code}")
    assert wrong == []
