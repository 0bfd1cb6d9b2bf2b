"""Every operation of the gateway's own OpenAPI document, fuzzed by schemathesis: no input gets a 5xx.

One real gateway process on real Kafka and PostgreSQL serves the whole module. Each generated
request is sent with a shop key and with an admin key, so the handlers behind authentication are
reached; the answers must be valid HTTP with a JSON error body whenever they are 4xx. Events are also
generated at and beyond the contract's limits (large numbers, long text, far times): what the gateway
accepts must be within them, and earn's credits for it must encode.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from confluent_kafka import TopicPartition
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from services import limits
from services.common import kafka
from services.common.codec import Codec, Decoded
from services.common.processor import Rejected
from services.common.programs import ProgramBook, ProgramVersion
from services.common.statestore import StateView
from services.earn.processor import Earn
from services.program import parse_program
from services.schema.migrations import migrate
from tests import namespaces
from tests.conftest import LOGS, free_port, wait_ready
from tests.integration.gateway import hostile_parameters
from tests.unit.memory import scratch_store

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
    subprocess.run([sys.executable, "-m", "services.cli", "topics", "create", "--partitions", "3"],
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
        namespaces.delete_namespace(namespace, kafka_bootstrap)
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


# Bodies at and beyond the contract's limits: large numbers, long text, far times. What the gateway accepts
# (202) must be what every processor takes: within services/limits.py, and earn's credits for it encodable.

LONG = st.builds(
    lambda n, c: c * n, st.sampled_from([1, 128, 129, 256, 257, 3000]), st.sampled_from(["a", "\U0001f600"])
)
TEXT = st.text(min_size=1, max_size=20) | LONG
AMOUNT = st.sampled_from([0, 10**13, 10**13 + 1, 2**62, 2**63 - 1, 2**63, -1]) | st.integers(-(2**64), 2**64)
TIME = (
    st.sampled_from([10**17, -(10**16), 1_795_000_000_000, 946_684_800_000, 7_258_118_400_000, "2026-11-10T10:00:00Z",
                     "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"])
    | st.integers(-(2**63), 2**63)
)  # fmt: skip
LINE = st.fixed_dictionaries(
    {"sku": TEXT, "category": TEXT, "quantity": AMOUNT | st.integers(1, 5), "unit_price_minor": AMOUNT}
)
COMMON = {"event_id": TEXT, "shop_id": st.just("fuzz"), "customer_id": TEXT, "occurred_at": TIME}
EVENTS = st.one_of(
    st.fixed_dictionaries({"type": st.just("OrderPaid"), **COMMON, "order_id": TEXT,
                           "currency": st.sampled_from(["JPY", "USD", "KWD", "EURO"]), "total_minor": AMOUNT,
                           "lines": st.lists(LINE, max_size=3)}),
    st.fixed_dictionaries({"type": st.just("OrderRefunded"), **COMMON, "order_id": TEXT, "refund_id": TEXT,
                           "amount_minor": AMOUNT}),
    st.fixed_dictionaries({"type": st.just("TaskCompleted"), **COMMON, "task": TEXT, "ref": TEXT}),
    st.fixed_dictionaries({"type": st.just("RedemptionRequested"), **COMMON, "redemption_id": TEXT, "reward_id": TEXT,
                           "quantity": AMOUNT, "cash_minor": AMOUNT}),
    st.fixed_dictionaries({"type": st.just("CustomerUpdated"), **COMMON, "tags": st.lists(TEXT, max_size=3),
                           "birth_month": AMOUNT | st.integers(1, 12)}),
)  # fmt: skip


WITHIN_LIMITS = (
    {"type": "OrderPaid", "event_id": "fuzz-e-1", "shop_id": "fuzz", "customer_id": "c-1",
     "occurred_at": "2026-11-10T10:00:00Z", "order_id": "o-1", "currency": "USD", "total_minor": 10**13,
     "lines": [{"sku": "a" * 128, "category": "a" * 128, "quantity": 1, "unit_price_minor": 10**13}]},
    {"type": "TaskCompleted", "event_id": "fuzz-e-2", "shop_id": "fuzz", "customer_id": "c" * 256,
     "occurred_at": 946_684_800_000, "task": "review", "ref": "a" * 128},
)  # fmt: skip
"""At the limits and accepted, whatever the random examples draw: the check below always has work."""


def test_no_event_beyond_the_contracts_limits_is_accepted_and_what_is_accepted_every_processor_takes(
    gateway_url: str, kafka_bootstrap: str
) -> None:
    accepted: list[str] = []

    @given(event=EVENTS)
    @example(event=WITHIN_LIMITS[0])
    @example(event=WITHIN_LIMITS[1])
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answers(event: dict[str, Any]) -> None:
        response = httpx.post(f"{gateway_url}/v1/events", json=event, headers={"Authorization": f"Bearer {SHOP_KEY}"},
                              timeout=30)  # fmt: skip
        assert response.status_code < 500, response.text[:500]
        if response.status_code == 202:
            accepted.extend(response.json()["positions"])

    answers()
    assert accepted, "no event within the limits was generated"
    for key, decoded in read_back(accepted):
        assert limits.breach(decoded.record, decoded.name, key) is None, decoded.name
        if decoded.name in ("OrderPaid", "TaskCompleted", "OrderRefunded"):
            earned_by(key, decoded)


def read_back(positions: list[str]) -> Iterator[tuple[bytes, Decoded]]:
    """The records at `topic:partition:offset`, as the processors decode them."""
    consumer, codec = kafka.consumer(None), Codec()
    try:
        for position in positions:
            topic, partition, offset = position.rsplit(":", 2)
            consumer.assign([TopicPartition(topic, int(partition), int(offset))])
            msg = consumer.poll(10)
            assert msg is not None, position
            yield msg.key() or b"", codec.decode(msg.value())
    finally:
        consumer.close()


def earned_by(key: bytes, decoded: Decoded) -> None:
    """Earn's step on a fresh customer, with the program that multiplies most, and its outputs encoded."""
    program = {"points_per_unit": "1000", "tiers": [{"name": "member", "threshold": 0, "multiplier": "1000"}]}
    book = ProgramBook()
    book.add(ProgramVersion("fuzz", datetime(2000, 1, 1, tzinfo=UTC), parse_program(program, 1)))
    store = scratch_store("earn")
    try:
        outputs = Earn(book, 1).step(key, decoded, StateView(store, 0, {}))
    except Rejected:
        return  # dead-lettered with its reason: the partition goes on
    codec = Codec()
    for output in outputs:
        codec.encode(output.name, output.record)


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
