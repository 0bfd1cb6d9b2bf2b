"""The earn processor on real Kafka: a record beyond the contract's limits is dead-lettered with its reason,
never a crash, and the records behind it are decided."""

from __future__ import annotations

from datetime import UTC, datetime

from services.common import topics
from services.common.codec import Codec
from tests.bench import harness
from tests.integration.earn.test_earn_processor import earn_running, order, paid, publish, wait_for_processed

codec = Codec()
MEMBER_DAY = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_an_order_of_two_to_the_62_yen_or_a_3_kb_customer_id_is_dead_lettered_and_later_orders_earn(
    namespace: str,
) -> None:
    huge = order("e-huge") | {"currency": "JPY", "total_minor": 2**62, "occurred_at": MEMBER_DAY}
    long_customer = order("e-long", customer="c" * 3000)
    long_key = (b"shop:" + b"k" * 2000, codec.encode("OrderPaid", order("e-key")))
    publish(paid(huge), paid(long_customer), long_key, paid(order("e-fine", 10_000, customer="c-2")))
    with earn_running():
        wait_for_processed(4)
    # a key too long to keep whole in its dead letter is cut, and the reason says so after the cause
    dead = {record["reason"].split(" [original_key truncated")[0] for _, record, _ in harness.read_all(topics.DLQ.name)}
    assert dead == {
        "beyond the contract's limits: total_minor must be from 0 to 10,000,000,000,000",
        "beyond the contract's limits: customer_id has 3000 characters, more than 256",
        "beyond the contract's limits: the key takes 2005 bytes, more than 1284",
    }
    ledger = harness.read_all(topics.LEDGER.name)
    assert [(key, record["points"]) for key, record, _ in ledger] == [(b"shop:c-2", 100)]
