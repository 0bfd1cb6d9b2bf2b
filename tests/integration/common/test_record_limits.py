"""One record's failure is that record's: outputs too large for the broker, values Avro cannot encode
and state beyond its bound dead-letter the record that made them, with nothing of it kept, and the
records behind it flow. Run with a real processor (the runtime under test) on real Kafka."""

from __future__ import annotations

import re
import time

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output, Processor, ProcessorConfig
from services.common.statestore import StateView
from services.gateway.partitioner import partition
from tests.bench import harness
from tests.integration.common.test_processor_runtime import earned
from tests.integration.common.threads import running
from tests.integration.earn.test_earn_processor import order, paid, publish


def greedy_step(key: bytes, decoded: Decoded, state: StateView) -> list[Output]:
    """Remembers each order and credits it; some event ids ask for more than the broker or the store takes."""
    event_id, entry = decoded.record["event_id"], earned(decoded)
    state.put(key, event_id.encode() * (300_000 if event_id == "huge-state" else 1))
    if event_id == "huge-output":
        return [Output(topics.LEDGER, "PointsEarned", entry), Output(topics.LEDGER, "PointsEarned",
                entry | {"entry_id": "2", "reason": "r" * 1_200_000})]  # fmt: skip
    if event_id == "overflow":
        return [Output(topics.LEDGER, "PointsEarned", entry | {"points": 2**63})]
    return [Output(topics.LEDGER, "PointsEarned", entry)]


def wait_until_committed(group: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while sum(max(tp.offset, 0) for tp in harness.committed(group, topics.ORDERS.name)) < count:
        assert time.monotonic() < deadline, "the processor did not get past the records it could not write"
        time.sleep(0.3)


def test_an_output_too_large_for_the_broker_is_dead_lettered_and_later_records_flow(namespace: str) -> None:
    ids = ["before", "huge-output", "overflow", "huge-state", "after"]
    near_the_limit = b"\xc3\x01" + b"\xff" * 999_000  # the broker took it; a letter around it would not fit
    publish(*(paid(order(i, customer=i)) for i in ids), (b"shop:raw", near_the_limit))
    with running(Processor(ProcessorConfig("earn", (topics.ORDERS,), topics.EARN_STATE, greedy_step))) as processor:
        wait_until_committed(namespace + "earn", len(ids) + 1)
        for customer in ("huge-output", "overflow", "huge-state"):  # nothing of a dead-lettered record is kept
            key = topics.customer_key("shop", customer)
            assert processor.store.get(partition(key, 3), key) is None
        key = topics.customer_key("shop", "after")
        assert processor.store.get(partition(key, 3), key) == b"after"

    assert sorted(r["entry_id"] for _, r, _ in harness.read_all(topics.LEDGER.name)) == ["after", "before"]
    letters = [r for _, r, _ in harness.read_all(topics.DLQ.name)]
    kinds = {r["original_key"].decode(): (r["error_type"], r["reason"]) for r in letters}
    assert sorted(kinds) == ["shop:huge-output", "shop:huge-state", "shop:overflow", "shop:raw"]
    error_type, reason = kinds["shop:huge-output"]
    assert error_type == "TooLarge"
    assert re.search(
        r"the PointsEarned it makes for \S+loyalty.ledger is 120\d{4} bytes encoded; \S+ takes 999488", reason
    )
    assert kinds["shop:overflow"][0] in {"OverflowError", "ValueError"}
    error_type, reason = kinds["shop:huge-state"]
    assert (error_type, "MAX_STATE_BYTES" in reason) == ("TooLarge", True)
    error_type, reason = kinds["shop:raw"]
    assert (error_type, "original_value truncated" in reason, "of 999002 bytes" in reason) == (
        "DecodeError",
        True,
        True,
    )
