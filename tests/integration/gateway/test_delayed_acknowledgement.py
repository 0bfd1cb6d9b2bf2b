"""A broker that takes a command and acknowledges it too late, then a retry: the command takes effect once.

Given a gateway and the redeem service on a private broker, when the broker is paused (SIGSTOP) while
an adjustment is sent, the gateway answers 503 once its producer has given up on the record, which
the broker still appends when it resumes (SIGCONT). The client retries with its Idempotency-Key;
the redeem service credits the points once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import KafkaException, TopicPartition

from services.common import admin, kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.gateway import publish
from services.gateway.app import create_app
from services.gateway.offsets import Kafka
from tests.conftest import ProcessFactory
from tests.integration.gateway.conftest import admin as admin_key
from tests.integration.gateway.test_idempotency import end_offset
from tests.servers import PrivateKafka

ADJUSTMENT = {"points": 50, "reason": "a late delivery"}


@pytest.fixture
def on_private_kafka(
    private_kafka: PrivateKafka, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PrivateKafka]:
    """The test's topics on the private broker, which the gateway and the services use; a short ack wait."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP", private_kafka.bootstrap)
    monkeypatch.setattr(publish, "ACK_TIMEOUT_S", publish.GIVE_UP_MARGIN_S + 1)  # gives up after 1 s
    settings.cache_clear()
    admin.create_topics(3, private_kafka.bootstrap)
    yield private_kafka
    private_kafka.resume()
    settings.cache_clear()


@pytest.fixture
async def gateway_api(
    on_private_kafka: PrivateKafka, database_url: str, db_schema: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(database_url, db_schema)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=60) as client:
            yield client


def records(topic: str) -> list[tuple[str, dict[str, Any]]]:
    """Every committed record of the test's `topic`, as (record name, fields)."""
    consumer, codec, found = kafka.consumer(None), Codec(), []
    partitions = [TopicPartition(topic, p, 0) for p in range(3)]
    ends = {tp.partition: end_offset(consumer, tp) for tp in partitions}  # the broker may be taking leadership back
    consumer.assign(partitions)
    deadline = time.monotonic() + 60
    while any(consumer.position([TopicPartition(topic, p)])[0].offset < end for p, end in ends.items() if end):
        assert time.monotonic() < deadline, f"{topic} not read to its end"
        found += [codec.decode(m.value()) for m in consumer.consume(100, 0.2) if m.error() is None]
    consumer.close()
    return [(decoded.name, decoded.record) for decoded in found]


async def processed_by_redeem(topic: str, timeout_s: float = 90) -> None:
    """Until the redeem service has committed past the end of every partition of `topic`."""
    client, wanted = Kafka(), [(topic, p) for p in range(3)]
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(KafkaException):  # a new broker may still be loading the group coordinator
            ends = await client.ends(set(wanted))
            committed = await client.committed("redeem", wanted)
            if all(committed.get(tp, -1) >= end for tp, end in ends.items() if end):
                return
        assert time.monotonic() < deadline, f"redeem has not processed {topic}"
        await asyncio.sleep(0.5)


async def test_an_adjustment_acknowledged_too_late_and_retried_with_its_key_credits_the_points_once(
    gateway_api: httpx.AsyncClient, on_private_kafka: PrivateKafka, services: ProcessFactory
) -> None:
    headers = admin_key("north") | {"Idempotency-Key": "apology-ada-1"}
    warm = await gateway_api.post("/v1/customers/bo/adjustments", json=ADJUSTMENT, headers=admin_key("north"))
    assert warm.status_code == 202, warm.text

    on_private_kafka.pause()
    first = await gateway_api.post("/v1/customers/ada/adjustments", json=ADJUSTMENT, headers=headers)
    on_private_kafka.resume()
    assert first.status_code == 503, first.text
    requests = topics.REDEMPTION_REQUESTS.name
    sent = [r for name, r in await asyncio.to_thread(records, requests) if r["customer_id"] == "ada"]
    assert len(sent) == 1, "the broker did not keep the record it was sent while paused"

    retry = await gateway_api.post("/v1/customers/ada/adjustments", json=ADJUSTMENT, headers=headers)
    assert retry.status_code == 202, retry.text
    services("services.redeem", KAFKA_BOOTSTRAP=on_private_kafka.bootstrap)
    await processed_by_redeem(requests)
    ledger = await asyncio.to_thread(records, topics.LEDGER.name)
    credited = [r for name, r in ledger if name == "PointsAdjusted" and r["customer_id"] == "ada"]
    assert [r["points"] for r in credited] == [50]
