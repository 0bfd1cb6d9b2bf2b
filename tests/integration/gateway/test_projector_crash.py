"""The projector is exactly-once: SIGKILLed mid-stream and restarted, the read models equal the log's fold."""

from __future__ import annotations

import random
import signal
import time
from typing import Any

from services.common import topics
from services.common.codec import Codec
from services.gateway import partitioner
from services.readmodels.folds import LedgerRecord, project
from tests.conftest import ProcessFactory
from tests.integration.gateway.conftest import earned, fetch, produce_ledger, run

COUNT = 20_000
KILLS = 3


def ledger_log(count: int) -> list[dict[str, Any]]:
    """Customers of skewed activity, and one entry in twenty repeated later in the log."""
    rng = random.Random(5)
    log = [earned(i, f"c{int(300 * rng.random() ** 2)}", rng.randint(0, 500)) for i in range(count)]
    for i in rng.sample(range(count), count // 20):
        log.insert(rng.randint(i, len(log)), log[i])
    return log


def fold_of(log: list[dict[str, Any]]) -> tuple[set[tuple[str, int]], dict[str, int], dict[int, int]]:
    """The pure fold of the log in each partition's order: rows with balance_after, balances, positions."""
    by_partition: dict[int, list[dict[str, Any]]] = {}
    for record in log:
        key = topics.customer_key(record["shop_id"], record["customer_id"])
        by_partition.setdefault(partitioner.partition(key, 3), []).append(record)
    rows: set[tuple[str, int]] = set()
    balances: dict[str, int] = {}
    for p, records in by_partition.items():
        ledger = [
            LedgerRecord(r["entry_id"], r["shop_id"], r["customer_id"], "earned", r["points"], r["reason"],
                         r["source_event_id"], r["occurred_at"], r["lot_id"], r["available_at"], r["expires_at"], p, i)
            for i, r in enumerate(records)
        ]  # fmt: skip
        projection = project({}, set(), ledger)
        rows |= {(row.record.entry_id, row.balance_after) for row in projection.rows}
        balances |= {c: b.balance for (_, c), b in projection.balances.items()}
    return rows, balances, {p: len(records) for p, records in by_partition.items()}


def count_entries(database_url: str, schema: str) -> int:
    return int(run(fetch(database_url, schema, "SELECT count(*) AS n FROM ledger_entries"))[0]["n"])


def test_a_projector_killed_mid_stream_ends_with_the_fold_of_the_log_and_no_entry_twice(
    services: ProcessFactory, database_url: str, db_schema: str
) -> None:
    log = ledger_log(COUNT)
    produce_ledger(log)
    expected_rows, expected_balances, expected_positions = fold_of(log)
    seen, rng = 0, random.Random()
    for _ in range(KILLS):
        proc = services("services.projector")
        deadline = time.monotonic() + 15
        while (now := count_entries(database_url, db_schema)) <= seen:
            assert time.monotonic() < deadline, "the projector made no progress"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))  # somewhere in the next batch's transaction, or between two
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert now < COUNT, "the projector finished before it could be killed mid-stream"
        seen = count_entries(database_url, db_schema)
    services("services.projector")
    deadline = time.monotonic() + 30
    while count_entries(database_url, db_schema) < COUNT:
        assert time.monotonic() < deadline, f"only {count_entries(database_url, db_schema)} of {COUNT} projected"
        time.sleep(0.1)
    time.sleep(0.5)  # anything more would be an entry twice

    rows = run(fetch(database_url, db_schema, "SELECT entry_id, balance_after FROM ledger_entries"))
    assert len(rows) == COUNT
    assert {(r["entry_id"], r["balance_after"]) for r in rows} == expected_rows
    balances = run(fetch(database_url, db_schema, "SELECT customer_id, balance FROM balances"))
    assert {b["customer_id"]: b["balance"] for b in balances} == expected_balances
    positions = run(fetch(database_url, db_schema, "SELECT partition, next_offset FROM projection_positions"))
    assert {p["partition"]: p["next_offset"] for p in positions} == expected_positions
    lots = run(fetch(database_url, db_schema, "SELECT count(*) AS n, sum(remaining) AS points FROM lots"))
    assert (lots[0]["n"], lots[0]["points"]) == (COUNT, sum(expected_balances.values()))


def test_the_crash_log_repeats_one_entry_in_twenty() -> None:
    log = ledger_log(2000)
    assert len(log) == 2100
    assert len({r["entry_id"] for r in log}) == 2000
    assert Codec().decode(Codec().encode("PointsEarned", log[0])).record["entry_id"] == log[0]["entry_id"]
