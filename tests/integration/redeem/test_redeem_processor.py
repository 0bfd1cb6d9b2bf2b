"""The redeem service as a process on real Kafka and PostgreSQL: never an overdraft, never an
oversold reward, through SIGKILLs and with two instances reserving batches at once; expiry driven by ticks."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.database import connect
from services.common.settings import settings
from services.redeem import ticks
from tests.bench import harness
from tests.conftest import ProcessFactory

SHOP = "north"
T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
codec = Codec()


def reward(reward_id: str, **document: Any) -> tuple[str, bytes, bytes]:
    document = {"name": reward_id, "kind": "physical", "points_price": 100, **document}
    record = {"shop_id": SHOP, "reward_id": reward_id, "version": 1, "configured_at": T0, "actor": "test",
              "reward": json.dumps(document)}  # fmt: skip
    return topics.REWARDS.name, topics.reward_key(SHOP, reward_id), codec.encode("RewardConfigured", record)


def credit(customer: str, points: int, lot: str, expires_at: datetime | None = None) -> tuple[str, bytes, bytes]:
    record = {"entry_id": lot, "shop_id": SHOP, "customer_id": customer, "occurred_at": T0, "points": points,
              "source_event_id": f"paid-{lot}", "source_type": "OrderPaid", "order_id": f"o-{lot}",
              "reason": "order", "lot_id": lot, "available_at": T0,
              "expires_at": expires_at or T0 + timedelta(days=365), "rule_version": 0}  # fmt: skip
    key = topics.customer_key(SHOP, customer)
    return topics.LEDGER.name, key, codec.encode("PointsEarned", record)


def request(customer: str, redemption_id: str, reward_id: str, at: datetime = T0) -> tuple[str, bytes, bytes]:
    record = {"event_id": f"e-{redemption_id}", "shop_id": SHOP, "customer_id": customer,
              "occurred_at": at + timedelta(seconds=1), "redemption_id": redemption_id,
              "reward_id": reward_id, "quantity": 1, "cash_minor": None, "shipping_address": None}  # fmt: skip
    key = topics.customer_key(SHOP, customer)
    return topics.REDEMPTION_REQUESTS.name, key, codec.encode("RedemptionRequested", record)


def publish(records: list[tuple[str, bytes, bytes]]) -> None:
    producer = kafka.producer()
    for topic, key, value in records:
        producer.produce(topic, value, key)
    producer.flush(30)


def credits_applied(timeout_s: float = 60) -> None:
    """Credits and requests come on different topics: the tests let the credits land first."""
    group = settings().topic_namespace + "redeem"
    deadline = time.monotonic() + timeout_s
    while harness.group_lag(group, topics.LEDGER.name) > 0 or not harness.committed(group, topics.LEDGER.name):
        assert time.monotonic() < deadline, "redeem did not read the credits"
        time.sleep(0.5)


def outcomes(expected: int, timeout_s: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = [r for _, r, _ in harness.read_all(topics.REDEMPTION_OUTCOMES.name)]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(1)


def test_five_hundred_customers_for_fifty_mugs_through_sigkills_get_exactly_fifty(
    services: ProcessFactory, db_schema: str
) -> None:
    publish([reward("mug", stock=50)] + [credit(f"c{i}", 150, f"lot-{i}") for i in range(500)])
    redeem = services("services.redeem", BATCH_SIZE="50")
    credits_applied()
    requests = [(key, value) for _, key, value in (request(f"c{i}", f"r-{i}", "mug") for i in range(500))]
    publisher = threading.Thread(target=harness.produce, args=(requests, topics.REDEMPTION_REQUESTS.name, 60.0))
    publisher.start()  # about 8 s of requests, killed twice in the middle
    for _ in range(2):
        time.sleep(2.5)
        redeem.send_signal(signal.SIGKILL)
        redeem.wait()
        redeem = services("services.redeem", BATCH_SIZE="50")
    publisher.join()
    found = outcomes(500)
    assert len(found) == 500, "every request answered once"
    assert len({r["redemption_id"] for r in found}) == 500
    approved = [r for r in found if "points" in r]
    assert len(approved) == 50, {r.get("reason") for r in found}
    assert {r["reason"] for r in found if "reason" in r} == {"out_of_stock"}
    redeemed = [r for _, r, _ in harness.read_all(topics.LEDGER.name) if "redemption_id" in r]
    assert len(redeemed) == 50
    assert all(r["points"] == 100 for r in redeemed)


def test_two_instances_deciding_batches_for_the_same_mugs_through_a_sigkill_approve_exactly_the_stock(
    services: ProcessFactory, db_schema: str
) -> None:
    publish([reward("mug", stock=40), reward("cap", stock=25)] + [credit(f"c{i}", 250, f"lot-{i}") for i in range(400)])
    first = services("services.redeem", BATCH_SIZE="40", INSTANCE_ID="redeem-a")
    services("services.redeem", BATCH_SIZE="40", INSTANCE_ID="redeem-b")
    credits_applied()
    asked = [request(f"c{i}", f"r-{i}-{n}", ("mug", "cap")[(i + n) % 2]) for n in range(2) for i in range(400)]
    requests = [(key, value) for _, key, value in asked]
    publisher = threading.Thread(target=harness.produce, args=(requests, topics.REDEMPTION_REQUESTS.name, 200.0))
    publisher.start()  # about 4 s of requests, one instance killed and restarted in the middle
    time.sleep(1.5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    services("services.redeem", BATCH_SIZE="40", INSTANCE_ID="redeem-a")
    publisher.join()
    found = outcomes(800, timeout_s=120)
    assert len(found) == 800, "every request answered once"
    assert len({r["redemption_id"] for r in found}) == 800
    approved = [r for r in found if "points" in r]
    assert sorted(Counter(r["reward_id"] for r in approved).items()) == [("cap", 25), ("mug", 40)]
    assert {r["reason"] for r in found if "reason" in r} == {"out_of_stock"}
    held = stock_reserved(db_schema)
    assert held == {"cap": 25, "mug": 40}, "no grant left unused: every unit reserved is an approval's"


def stock_reserved(schema: str) -> dict[str, int]:
    async def run() -> dict[str, int]:
        conn = await connect(settings().database_url, schema)
        try:
            return {
                r["reward_id"]: r["reserved"] for r in await conn.fetch("SELECT reward_id, reserved FROM reward_stock")
            }
        finally:
            await conn.close()

    return asyncio.run(run())


def test_two_hundred_requests_of_one_customer_in_a_burst_through_a_sigkill_never_overdraw(
    services: ProcessFactory,
) -> None:
    publish([reward("sticker"), credit("ada", 2_050, "lot-ada")])
    redeem = services("services.redeem", BATCH_SIZE="20")
    credits_applied()
    burst = [(key, value) for _, key, value in (request("ada", f"r-{i}", "sticker") for i in range(200))]
    publisher = threading.Thread(target=harness.produce, args=(burst, topics.REDEMPTION_REQUESTS.name, 40.0))
    publisher.start()  # about 5 s of requests, the process killed once in the middle
    time.sleep(2)
    redeem.send_signal(signal.SIGKILL)
    redeem.wait()
    services("services.redeem", BATCH_SIZE="20")
    publisher.join()
    found = outcomes(200)
    assert len(found) == 200
    assert sum(1 for r in found if "points" in r) == 20
    assert {r["reason"] for r in found if "reason" in r} == {"insufficient_points"}


def test_a_lot_past_its_date_expires_on_the_next_tick_even_if_the_customer_never_comes_back(
    services: ProcessFactory,
) -> None:
    publish([credit("gone", 300, "lot-old", expires_at=T0 + timedelta(days=1))])
    services("services.redeem", EXPIRY_TICK_SECONDS="3600")
    time.sleep(5)
    ticks.publish(kafka.producer(), codec, settings().partitions, T0 + timedelta(days=2))
    deadline = time.monotonic() + 60
    while True:
        expired = [r for _, r, _ in harness.read_all(topics.LEDGER.name) if "lot_id" in r and "source_type" not in r]
        if expired or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert [(r["customer_id"], r["points"], r["lot_id"]) for r in expired] == [("gone", 300, "lot-old")]


def test_expiry_survives_a_restart_and_a_redemption_after_the_date_cannot_spend_the_lot(
    services: ProcessFactory,
) -> None:
    expires = T0 + timedelta(days=1)
    publish([reward("pen"), credit("eve", 300, "lot-eve", expires_at=expires)])
    redeem = services("services.redeem", EXPIRY_TICK_SECONDS="3600")
    credits_applied()
    publish([request("eve", "r-late", "pen", at=expires + timedelta(hours=1))])  # before any tick: still refused
    producer = kafka.producer()
    ticks.publish(producer, codec, settings().partitions, expires + timedelta(hours=2))
    assert [r["reason"] for r in outcomes(1)] == ["insufficient_points"]
    time.sleep(3)
    redeem.send_signal(signal.SIGKILL)
    redeem.wait()
    services("services.redeem", EXPIRY_TICK_SECONDS="3600")
    ticks.publish(producer, codec, settings().partitions, expires + timedelta(days=1))
    time.sleep(8)
    ledger = [r for _, r, _ in harness.read_all(topics.LEDGER.name)]
    expired = [r for r in ledger if "lot_id" in r and "source_type" not in r and "redemption_id" not in r]
    assert [(r["customer_id"], r["points"]) for r in expired] == [("eve", 300)]


def test_a_malformed_request_goes_to_the_dead_letter_topic_and_the_next_one_is_decided(
    services: ProcessFactory,
) -> None:
    publish([reward("cap"), credit("bo", 500, "lot-bo")])
    services("services.redeem")
    credits_applied()
    key = topics.customer_key(SHOP, "bo")
    publish([(topics.REDEMPTION_REQUESTS.name, key, b"\x00not avro"), request("bo", "r-ok", "cap")])
    assert [r["redemption_id"] for r in outcomes(1)] == ["r-ok"]
    deadline = time.monotonic() + 30
    while not (dead := harness.read_all(topics.DLQ.name)) and time.monotonic() < deadline:
        time.sleep(1)
    assert [r["source_topic"] for _, r, _ in dead] == [topics.REDEMPTION_REQUESTS.name]


def test_a_tick_forged_on_the_requests_topic_is_dead_lettered_and_expires_nothing(services: ProcessFactory) -> None:
    publish([credit("kept", 300, "lot-kept", expires_at=T0 + timedelta(days=30))])
    services("services.redeem", EXPIRY_TICK_SECONDS="3600")
    credits_applied()
    forged = codec.encode("ExpiryTick", {"partition": 0, "now": T0 + timedelta(days=3650)})
    producer = kafka.producer()
    for partition in range(settings().partitions):
        producer.produce(topics.REDEMPTION_REQUESTS.name, forged, b"north:kept", partition=partition)
    producer.flush(30)
    deadline = time.monotonic() + 60
    while len(dead := harness.read_all(topics.DLQ.name)) < settings().partitions and time.monotonic() < deadline:
        time.sleep(1)
    assert len(dead) == settings().partitions
    assert all("moves no clock" in r["reason"] for _, r, _ in dead)
    ticks.publish(producer, codec, settings().partitions, T0 + timedelta(days=2))  # the engine's own clock
    time.sleep(5)
    assert [r for _, r, _ in harness.read_all(topics.LEDGER.name) if r.get("reason", "").endswith("expired")] == []


def test_a_request_dated_years_ahead_with_a_forged_record_time_is_decided_at_the_brokers_time(
    services: ProcessFactory,
) -> None:
    publish([reward("pin"), credit("fay", 300, "lot-fay")])
    services("services.redeem", EXPIRY_TICK_SECONDS="3600")
    credits_applied()
    far = datetime.now(UTC) + timedelta(days=3650)
    topic, key, value = request("fay", "r-far", "pin", at=far)
    producer = kafka.producer()
    forged = datetime.now(UTC) + timedelta(minutes=50)  # the record's own time forged too (a broker refuses > 1 h)
    producer.produce(topic, value, key, timestamp=int(forged.timestamp() * 1000))
    producer.flush(30)
    [decided] = outcomes(1)
    assert decided["occurred_at"] < datetime.now(UTC) + timedelta(minutes=6)
