"""The transactional runtime: a record that trips a bug is dead-lettered, and the partition moves on; a service
sees each batch before its steps and acts after them, before the commit."""

from __future__ import annotations

import threading
import time

from services.common import topics
from services.common.codec import Decoded
from services.common.outage import Unavailable
from services.common.processor import Output, Processor, ProcessorConfig
from services.common.statestore import StateView
from tests.bench import harness
from tests.integration.earn.test_earn_processor import order, paid, publish


def fragile_step(key: bytes, decoded: Decoded, state: StateView) -> list[Output]:
    if decoded.record["event_id"] == "boom":
        raise RuntimeError("a bug in a rule")
    return [Output(topics.LEDGER, "PointsEarned", earned(decoded))]


def earned(decoded: Decoded) -> dict[str, object]:
    r = decoded.record
    return {
        "entry_id": r["event_id"], "shop_id": r["shop_id"], "customer_id": r["customer_id"],
        "occurred_at": r["occurred_at"], "points": 1, "source_event_id": r["event_id"],
        "source_type": "OrderPaid", "order_id": r["order_id"], "reason": "test", "lot_id": r["event_id"],
        "available_at": r["occurred_at"], "expires_at": r["occurred_at"], "rule_version": 0,
    }  # fmt: skip


def run_until_committed(config: ProcessorConfig, namespace: str, records: int) -> None:
    """Runs the processor until it has committed past `records` orders."""
    processor = Processor(config)
    thread = threading.Thread(target=processor.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while sum(max(tp.offset, 0) for tp in harness.committed(namespace + "earn", topics.ORDERS.name)) < records:
        assert time.monotonic() < deadline, "the processor did not commit past every record"
        time.sleep(0.2)
    processor.stop()
    thread.join(30)


def test_a_record_that_makes_the_step_fail_goes_to_the_dead_letter_topic_and_later_records_still_flow(
    namespace: str,
) -> None:
    publish(paid(order("before")), paid(order("boom")), paid(order("after")))
    run_until_committed(ProcessorConfig("earn", (topics.ORDERS,), topics.EARN_STATE, fragile_step), namespace, 3)
    assert [r["source_event_id"] for _, r, _ in harness.read_all(topics.LEDGER.name)] == ["before", "after"]
    [dead] = [r for _, r, _ in harness.read_all(topics.DLQ.name)]
    assert (dead["error_type"], dead["reason"], dead["service"]) == ("RuntimeError", "a bug in a rule", "earn")


def test_prepare_sees_the_records_that_decode_before_their_steps_and_finish_runs_before_the_commit(
    namespace: str,
) -> None:
    calls: list[tuple[str, list[str]]] = []
    failed: list[bool] = []

    def step(key: bytes, decoded: Decoded, state: StateView) -> list[Output]:
        calls.append(("step", [decoded.record["event_id"]]))
        return [Output(topics.LEDGER, "PointsEarned", earned(decoded))]

    def prepare(batch: list[tuple[bytes, Decoded, StateView]]) -> None:
        calls.append(("prepare", [decoded.record["event_id"] for _, decoded, _ in batch]))

    def finish() -> None:
        calls.append(("finish", []))
        if not failed:  # the first batch's finish finds its database away: the batch is tried again
            failed.append(True)
            raise Unavailable("PostgreSQL", "connection refused")

    publish(paid(order("a")), (b"shop:c-1", b"\x00not avro"), paid(order("b")))
    config = ProcessorConfig("earn", (topics.ORDERS,), topics.EARN_STATE, step, prepare=prepare, finish=finish)
    run_until_committed(config, namespace, 3)

    assert sorted(r["source_event_id"] for _, r, _ in harness.read_all(topics.LEDGER.name)) == ["a", "b"]
    assert len(harness.read_all(topics.DLQ.name)) == 1
    batches: list[list[tuple[str, list[str]]]] = []
    for call in calls:
        if call[0] == "prepare":
            batches.append([])
        batches[-1].append(call)
    for batch in batches:  # the steps of exactly the records prepare saw, then finish
        prepared = batch[0][1]
        assert [c for c in batch[1:] if c[0] == "step"] == [("step", [e]) for e in prepared]
        assert batch[-1] == ("finish", [])
    assert len(batches) >= 2
