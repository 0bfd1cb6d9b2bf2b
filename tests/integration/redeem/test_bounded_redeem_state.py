"""The redeem service as a process on real Kafka and PostgreSQL: one customer's 10,000 rejected redemptions
leave their state record small and the partition flowing for the next customer."""

from __future__ import annotations

import time
from datetime import timedelta

from confluent_kafka import TopicPartition

from services.common import kafka, topics
from services.common.settings import settings
from services.gateway import partitioner
from services.redeem.state import load_account
from tests.bench import harness
from tests.conftest import ProcessFactory
from tests.integration.redeem.test_redeem_processor import SHOP, T0, credit, credits_applied, publish, request, reward

REJECTED = 10_000


def neighbour_of(customer: str) -> str:
    """Another customer whose records go to the same partition."""
    same = partitioner.partition(topics.customer_key(SHOP, customer), settings().partitions)
    return next(
        other
        for other in (f"c-{n}" for n in range(1000))
        if partitioner.partition(topics.customer_key(SHOP, other), settings().partitions) == same
    )


def latest_state(key: bytes) -> bytes:
    """The last value of `key` on the redeem changelog."""
    consumer = kafka.consumer(None)
    partition = partitioner.partition(key, settings().partitions)
    tp = TopicPartition(topics.REDEEM_STATE.name, partition, 0)
    end = consumer.get_watermark_offsets(tp, timeout=10)[1]
    consumer.assign([tp])
    found = b""
    deadline = time.monotonic() + 60
    while consumer.position([tp])[0].offset < end:
        assert time.monotonic() < deadline, "the changelog was not read"
        for msg in consumer.consume(1000, 0.5):
            if not msg.error() and msg.key() == key:
                found = msg.value() or b""
    consumer.close()
    return found


def test_ten_thousand_rejected_redemptions_leave_the_state_bounded_and_the_next_customer_decided(
    services: ProcessFactory,
) -> None:
    bob = neighbour_of("ada")
    publish([reward("mug"), credit("ada", 50, "lot-ada"), credit(bob, 150, "lot-bob")])
    services("services.redeem")
    credits_applied()
    rejected = (request("ada", f"r-{n}", "mug", at=T0 + timedelta(seconds=n)) for n in range(REJECTED))
    harness.produce([(key, value) for _, key, value in rejected], topics.REDEMPTION_REQUESTS.name)
    _, key, value = request(bob, "r-bob", "mug", at=T0 + timedelta(seconds=REJECTED))
    harness.produce([(key, value)], topics.REDEMPTION_REQUESTS.name)

    deadline = time.monotonic() + 240
    while not (
        outcomes := {r["redemption_id"]: r for _, r, _ in harness.read_all(topics.REDEMPTION_OUTCOMES.name)}
    ).get("r-bob"):
        assert time.monotonic() < deadline, f"bob's redemption was not decided ({len(outcomes)} outcomes)"
        time.sleep(2)
    assert outcomes["r-bob"].get("points") == 100, outcomes["r-bob"]
    assert len(outcomes) == REJECTED + 1
    assert {r.get("reason") for name, r in outcomes.items() if name != "r-bob"} == {"insufficient_points"}
    stored = latest_state(topics.customer_key(SHOP, "ada"))
    account = load_account(stored, SHOP, "ada")
    assert len(stored) < 50_000, f"ada's state takes {len(stored)} bytes"
    assert (len(account.refused), len(account.rejected_redemptions)) == (500, 500)
    assert f"r-{REJECTED - 1}" in account.rejected_redemptions
