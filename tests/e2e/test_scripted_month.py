"""A month of a small shop through real Kafka: earn and tier as processes, the ledger as a worked table.

The program (version 1 of shop "corner", effective from January): Europe/Paris time, wine weighs 0.5,
member day (the 10th) x2, a winter sale x1.5 from 15 to 22 March, +100 for a basket of 500.00 or
more in March, +20 on a first order; tiers silver from 300 points (x1.5) and gold from 1,000 (x2)
over a rolling 14-day window.
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.settings import settings
from services.loadgen.program import publish as publish_program
from tests.bench import harness
from tests.conftest import ProcessFactory

SHOP = "corner"
PROGRAM = {
    "timezone": "Europe/Paris",
    "category_multipliers": {"wine": "0.5"},
    "campaigns": [
        {"name": "member-day", "multiplier": "2", "days_of_month": [10]},
        {"name": "winter-sale", "multiplier": "1.5", "starts_at": "2026-03-15T00:00:00+01:00",
         "ends_at": "2026-03-23T00:00:00+01:00"},
    ],
    "spend_bonuses": [{"name": "big-basket", "min_amount": "500.00", "points": 100,
                       "starts_at": "2026-03-01T00:00:00+01:00", "ends_at": "2026-04-01T00:00:00+02:00"}],
    "first_order_bonus": 20,
    "tiers": [{"name": "member", "threshold": 0, "multiplier": "1"},
              {"name": "silver", "threshold": 300, "multiplier": "1.5"},
              {"name": "gold", "threshold": 1000, "multiplier": "2"}],
    "tier_window": {"mode": "rolling", "days": 14},
}  # fmt: skip

codec = Codec()


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def common(event_id: str, customer: str, when: datetime) -> dict[str, Any]:
    return {"event_id": event_id, "shop_id": SHOP, "customer_id": customer, "occurred_at": when}


def paid(
    event_id: str, customer: str, when: datetime, total: int, *lines: tuple[str, int], currency: str = "USD"
) -> Any:
    record = common(event_id, customer, when) | {
        "order_id": f"o-{event_id}",
        "currency": currency,
        "total_minor": total,
        "lines": [{"sku": sku, "category": sku, "quantity": 1, "unit_price_minor": price} for sku, price in lines],
    }
    return topics.ORDERS, "OrderPaid", record


def refunded(event_id: str, customer: str, when: datetime, order_event: str, amount: int) -> Any:
    record = common(event_id, customer, when) | {
        "order_id": f"o-{order_event}",
        "refund_id": f"r-{event_id}",
        "amount_minor": amount,
        "lines": None,
    }
    return topics.ORDERS, "OrderRefunded", record


def task(event_id: str, customer: str, when: datetime, name: str, ref: str | None = None) -> Any:
    return topics.TASKS, "TaskCompleted", common(event_id, customer, when) | {"task": name, "ref": ref}


def publish(*events: Any, raw: list[tuple[bytes, bytes]] | None = None) -> None:
    producer = kafka.producer()
    for topic, name, record in events:
        producer.produce(topic.name, codec.encode(name, record), topics.customer_key(SHOP, record["customer_id"]))
    for key, value in raw or []:
        producer.produce(topics.ORDERS.name, value, key)
    producer.flush(10)


def wait_until_quiet(timeout_s: float = 90) -> None:
    """Waits until earn and tier have consumed everything, and nothing moved for a while (tier output
    feeds earn)."""
    ns = settings().topic_namespace
    inputs = [(ns + "earn", t.name, False) for t in (topics.ORDERS, topics.TASKS, topics.CUSTOMERS)]
    inputs += [(ns + "earn", topics.TIERS.name, True), (ns + "tier", topics.LEDGER.name, True)]
    deadline, quiet, last = time.monotonic() + timeout_s, 0, None
    while quiet < 3:
        assert time.monotonic() < deadline, "earn and tier did not go quiet"
        time.sleep(0.5)
        seen = [lag(group, topic, transactional) for group, topic, transactional in inputs]
        quiet = quiet + 1 if all(behind == 0 for behind, _ in seen) and seen == last else 0
        last = seen


def lag(group: str, topic: str, transactional: bool) -> tuple[int, int]:
    """(records behind, end offsets). A topic written in transactions ends with a commit marker,
    which a consumer never commits past: it counts for one offset per partition."""
    consumer = kafka.consumer(None)
    try:
        behind, ends = 0, 0
        for tp in harness.committed(group, topic):
            end = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=10)[1]
            ends += end
            behind += max(end - max(tp.offset, 0) - (1 if transactional and end else 0), 0)
        return behind, ends
    finally:
        consumer.close()


@pytest.fixture
def shop(services: ProcessFactory) -> list[subprocess.Popen[bytes]]:
    publish_program([SHOP], PROGRAM, effective_from=datetime(2026, 1, 1, tzinfo=UTC))
    return [services("services.earn"), services("services.tier")]


def ledger_of(customer: str) -> list[tuple[str, int, str]]:
    key = topics.customer_key(SHOP, customer)
    return [(name_of(r), r["points"], r["reason"]) for k, r, _ in harness.read_all(topics.LEDGER.name) if k == key]


def name_of(record: dict[str, Any]) -> str:
    return "clawed_back" if "refund_id" in record else "earned"


def tier_changes(customer: str) -> list[tuple[str, str]]:
    key = topics.customer_key(SHOP, customer)
    return [(r["from_tier"], r["to_tier"]) for k, r, _ in harness.read_all(topics.TIERS.name) if k == key]


def test_a_month_of_a_small_shop_lands_in_the_ledger_as_the_worked_table_says(shop: Any) -> None:
    # Week 1: ada's first order, a sign-up and reviews; bob's first order makes him silver.
    publish(
        paid("a1", "ada", at(1), 12_000, ("cheese", 12_000)),  # 120 + first order 20
        task("a2", "ada", at(2), "signup"),  # 50
        task("a3", "ada", at(3), "review", "cheese"),  # 10
        task("a3b", "ada", at(3, 11), "review", "cheese"),  # already paid: 0
        task("a3c", "ada", at(3, 12), "tiktok-dance"),  # not in the program: 0
        paid("b1", "bob", at(1), 35_000),  # 350 + 20 = 370: silver
    )
    wait_until_quiet()
    # ada: 20000 x (5000 x 0.5 + 15000) / 20000 = 17500 -> 175 points, 375 in the window: silver.
    publish(paid("a4", "ada", at(5), 20_000, ("wine", 5_000), ("cheese", 15_000), currency="EUR"))
    wait_until_quiet()
    # 00:30 in Paris on the 10th is member day: 100 x 1.5 (silver) x 2 = 300.
    publish(paid("a5", "ada", at(9, 23, 30), 10_000))
    wait_until_quiet()
    publish(
        refunded("a6", "ada", at(12), "a5", 4_000),  # floor(300 x 4000 / 10000) = 120 back
        refunded("a6b", "ada", at(12, 11), "a5", 1_000),  # 5000 in all: floor(300 x 5000 / 10000) - 120 = 30
        paid("a1", "ada", at(1), 12_000, ("cheese", 12_000)),  # a duplicate: nothing
    )
    wait_until_quiet()
    # Winter sale and a big basket: 600 x 1.5 (silver) x 1.5 (sale) = 1350, + 100 = 1450: gold.
    publish(paid("a7", "ada", at(16), 60_000))
    wait_until_quiet()
    # Gold from now on, still in the winter sale: 50 x 2 x 1.5 = 150.
    publish(paid("a8", "ada", at(18), 5_000))
    publish(
        refunded("a9", "ada", at(19), "a8", 3_000),  # floor(150 x 3000 / 5000) = 90
        refunded("a9b", "ada", at(19, 11), "a8", 4_000),  # 7000 > 5000 refunded: the other 60, never more
    )
    # bob's 370 left the 14-day window on the 15th: his next evaluation takes him back to member.
    publish(task("b2", "bob", at(20), "survey"), refunded("b3", "bob", at(20), "never-seen", 1_000))
    publish(raw=[(b"corner:eve", b"not avro"), *negative_total()])
    wait_until_quiet()

    # Orders and tasks come on different topics: the ledger keeps each topic's order, not one across them.
    assert sorted(ledger_of("ada")) == sorted(
        [
            ("earned", 140, "order o-a1"),
            ("earned", 50, "task signup"),
            ("earned", 10, "task review (cheese)"),
            ("earned", 0, "task review (cheese): review cheese was already paid"),
            ("earned", 0, "task tiktok-dance: not in the program, no points"),
            ("earned", 175, "order o-a4"),
            ("earned", 300, "order o-a5"),
            ("clawed_back", 120, "refund r-a6 of order o-a5"),
            ("clawed_back", 30, "refund r-a6b of order o-a5"),
            ("earned", 1450, "order o-a7"),
            ("earned", 150, "order o-a8"),
            ("clawed_back", 90, "refund r-a9 of order o-a8"),
            ("clawed_back", 60, "refund r-a9b of order o-a8"),
        ]
    )
    assert sorted(ledger_of("bob")) == [("earned", 20, "task survey"), ("earned", 370, "order o-b1")]
    assert tier_changes("ada") == [("member", "silver"), ("silver", "gold")]
    assert tier_changes("bob") == [("member", "silver"), ("silver", "member")]
    reasons = sorted(r["reason"] for _, r, _ in harness.read_all(topics.DLQ.name))
    assert len(reasons) == 2
    assert any("negative" in reason for reason in reasons)


def negative_total() -> list[tuple[bytes, bytes]]:
    _, name, record = paid("e1", "eve", at(21), -500)
    return [(b"corner:eve", codec.encode(name, record))]
