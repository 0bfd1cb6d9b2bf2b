"""The tier service on real Kafka: given ledger entries, then exactly these TierChanged events,
also across SIGKILLs and restarts."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.programs import ProgramBook, from_record
from services.common.settings import settings
from services.common.statestore import StateView
from services.gateway import partitioner
from services.tier.processor import Tiering
from tests.bench import harness
from tests.conftest import ProcessFactory
from tests.unit.tier.test_tier_step import fresh_store

codec = Codec()
T0 = datetime(2023, 1, 15, 12, 0, tzinfo=UTC)
"""In the past, with every entry the tests write: an entry dated past its log time counts as that time."""
DAY = timedelta(days=1)


def earned(customer: str, entry_id: str, points: int, at: datetime, shop: str = "shop", **extra: Any) -> dict[str, Any]:
    return {
        "entry_id": entry_id, "shop_id": shop, "customer_id": customer, "occurred_at": at, "points": points,
        "source_event_id": f"ev-{entry_id}", "source_type": "OrderPaid", "order_id": f"o-{entry_id}",
        "reason": "order", "lot_id": entry_id, "available_at": at, "expires_at": at + 365 * DAY,
    } | extra  # fmt: skip


def clawed(
    customer: str, entry_id: str, points: int, at: datetime, of: str | None, shop: str = "shop"
) -> dict[str, Any]:
    return {
        "entry_id": entry_id, "shop_id": shop, "customer_id": customer, "occurred_at": at, "points": points,
        "source_event_id": f"ev-{entry_id}", "order_id": f"o-{of}", "refund_id": entry_id, "reason": "refund",
        "earned_entry_id": of, "refunded_minor": 100,
    }  # fmt: skip


Entry = tuple[str, dict[str, Any]]


def publish(entries: list[Entry]) -> None:
    producer = kafka.producer()
    for name, record in entries:
        key = topics.customer_key(record["shop_id"], record["customer_id"])
        producer.produce(topics.LEDGER.name, codec.encode(name, record), key)
    producer.flush(30)


def configure(shop: str, rules: dict[str, Any], effective_from: datetime) -> dict[str, Any]:
    record = {"shop_id": shop, "version": 1, "effective_from": effective_from, "configured_at": effective_from,
              "actor": "test", "rules": json.dumps(rules)}  # fmt: skip
    producer = kafka.producer()
    producer.produce(topics.PROGRAMS.name, codec.encode("ProgramConfigured", record), topics.program_key(shop, 1))
    producer.flush(30)
    return record


def processed() -> int:
    committed = harness.committed(settings().topic_namespace + "tier", topics.LEDGER.name)
    return sum(max(tp.offset, 0) for tp in committed)


def wait_for_processed(count: int, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while processed() < count:
        assert time.monotonic() < deadline, f"tier processed {processed()} of {count} ledger entries"
        time.sleep(0.2)


def tier_changes() -> list[tuple[bytes, dict[str, Any]]]:
    changes = [(key, record) for key, record, _ in harness.read_all(topics.TIERS.name)]
    assert all(key == topics.customer_key(r["shop_id"], r["customer_id"]) for key, r in changes)
    return changes


def ticks(at: datetime) -> list[Entry]:
    """A zero-point entry on every partition, moving each partition's stream time to `at`."""
    customers: dict[int, str] = {}
    for i in range(100):
        p = partitioner.partition(topics.customer_key("shop", f"tick-{i}"), settings().partitions)
        customers.setdefault(p, f"tick-{i}")
    return [("PointsEarned", earned(c, f"{c}-{at.isoformat()}", 0, at)) for c in customers.values()]


def test_ledger_entries_become_tier_changes_and_a_customer_who_never_returns_is_downgraded(
    services: ProcessFactory,
) -> None:
    configure("small-shop", {"tiers": [{"name": "member", "threshold": 0}, {"name": "vip", "threshold": 100}]}, T0)
    entries: list[Entry] = [
        ("PointsEarned", earned("c-1", "c1-a", 1_000, T0)),
        ("PointsEarned", earned("c-1", "c1-a", 1_000, T0)),
        ("PointsEarned", earned("c-2", "c2-a", 300, T0)),
        ("PointsEarned", earned("c-2", "c2-b", 4_700, T0 + DAY)),
        ("PointsEarned", earned("c-3", "c3-a", 999, T0)),
        ("PointsEarned", earned("c-4", "c4-a", 1_200, T0)),
        ("PointsClawedBack", clawed("c-4", "c4-refund", 300, T0 + 2 * DAY, of="c4-a")),
        ("PointsEarned", earned("c-5", "c5-a", 9_000, T0, qualifying=False)),
        ("PointsEarned", earned("v-1", "v1-a", 150, T0 + DAY, shop="small-shop")),
        *ticks(T0 + 400 * DAY),
    ]
    publish(entries)
    services("services.tier")
    wait_for_processed(len(entries))
    moves = sorted(
        (r["customer_id"], r["from_tier"], r["to_tier"], r["reason"], r["qualifying_points"], r["occurred_at"])
        for _, r in tier_changes()
    )
    assert moves == sorted(
        [
            ("c-1", "member", "silver", "upgrade", 1_000, T0),
            ("c-2", "member", "gold", "upgrade", 5_000, T0 + DAY),
            ("c-4", "member", "silver", "upgrade", 1_200, T0),
            ("c-4", "silver", "member", "clawback", 900, T0 + 2 * DAY),
            ("v-1", "member", "vip", "upgrade", 150, T0 + DAY),
            ("c-1", "silver", "member", "window", 0, T0 + 365 * DAY),
            ("c-2", "gold", "silver", "window", 4_700, T0 + 365 * DAY),
            ("c-2", "silver", "member", "window", 0, T0 + 366 * DAY),
            ("v-1", "vip", "member", "window", 0, T0 + 366 * DAY),
        ]
    )


def busy_ledger(customers: int, seed: int) -> list[Entry]:
    """Two and a half years of credits, refunds, repeats and late entries, in rough event-time order."""
    rng, entries = random.Random(seed), list[tuple[datetime, Entry]]()
    for c in range(customers):
        customer, credits = f"c-{c}", list[str]()
        for i in range(rng.randint(1, 25)):
            at = T0 + timedelta(hours=rng.randint(0, 900 * 24))
            if credits and rng.random() < 0.15:
                of = rng.choice([*credits, None])
                entry: Entry = ("PointsClawedBack", clawed(customer, f"{customer}-r{i}", rng.randint(1, 900), at, of))
            else:
                credits.append(f"{customer}-e{i}")
                entry = ("PointsEarned", earned(customer, credits[-1], rng.randint(0, 2_500), at,
                                                qualifying=rng.random() > 0.1))  # fmt: skip
            entries.append((at + timedelta(days=rng.choice([0, 0, 0, -40])), entry))
    entries.sort(key=lambda item: item[0])
    log = [entry for _, entry in entries]
    for i in rng.sample(range(len(log)), len(log) // 20):
        log.insert(rng.randint(i, len(log)), log[i])
    return log


def replayed(log: list[Entry], book: ProgramBook) -> list[tuple[bytes, dict[str, Any]]]:
    """The TierChanged events of the same log folded in memory, partition by partition, in one go."""
    out: list[tuple[bytes, dict[str, Any]]] = []
    by_partition: dict[int, list[Entry]] = {}
    for name, record in log:
        key = topics.customer_key(record["shop_id"], record["customer_id"])
        by_partition.setdefault(partitioner.partition(key, settings().partitions), []).append((name, record))
    for entries in by_partition.values():
        store, step = fresh_store(), Tiering(book)
        for name, record in entries:
            key = topics.customer_key(record["shop_id"], record["customer_id"])
            decoded = codec.decode(codec.encode(name, record))
            view = StateView(store, 0, {})
            changes = [o.record for o in step(key, decoded, view)]
            out += [(topics.customer_key(r["shop_id"], r["customer_id"]), r) for r in changes]
            store.put_all({(0, k): v for k, v in view.staged.items()})
    return out


def canonical(changes: list[tuple[bytes, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    return sorted((key, *sorted(record.items())) for key, record in changes)


def published_busy_ledger(seed: int) -> tuple[list[Entry], list[tuple[bytes, dict[str, Any]]]]:
    """A busy ledger of 150 customers under a 20-day grace program, published; and its tier changes folded
    in memory."""
    program = configure("shop", {"tier_window": {"grace_days": 20}}, T0 - DAY)
    log = busy_ledger(customers=150, seed=seed)
    publish(log)
    book = ProgramBook()
    book.add(from_record(codec.decode(codec.encode("ProgramConfigured", program)).record))
    return log, replayed(log, book)


def test_a_tier_service_killed_mid_stream_and_restarted_emits_every_tier_change_exactly_once(
    services: ProcessFactory,
) -> None:
    log, expected = published_busy_ledger(seed=11)
    assert len({(r["from_tier"], r["reason"]) for _, r in expected}) >= 6, "the log exercises few rules"
    rng = random.Random()
    for _ in range(2):
        proc = services("services.tier", BATCH_SIZE="20")
        target = processed() + rng.randint(len(log) // 8, len(log) // 4)
        wait_for_processed(min(target, len(log) - 1))
        proc.kill()
        proc.wait()
    services("services.tier", BATCH_SIZE="20")
    wait_for_processed(len(log), timeout_s=120)
    assert canonical(tier_changes()) == canonical(expected)
