"""The projector on real Kafka and PostgreSQL: the read models are the fold of the ledger."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from prometheus_client import REGISTRY

from services.common import topics
from services.gateway.partitioner import partition
from services.projector import transaction
from services.projector.transaction import Consumed
from services.readmodels import postgres
from services.readmodels.folds import LedgerRecord
from tests.integration.gateway.conftest import AT, earned, fetch, produce_ledger, project_everything, run


def test_projected_entries_become_ledger_rows_lots_and_balances(namespace: str, database_url: str, db_schema: str):
    pending_until = AT + timedelta(days=14)
    produce_ledger([earned(1, "ada", 100), earned(2, "ada", 50, available_at=pending_until), earned(3, "bo", 7)])
    project_everything(database_url, db_schema)

    rows = run(fetch(database_url, db_schema, "SELECT * FROM ledger_entries ORDER BY entry_id"))
    assert [(r["entry_id"], r["kind"], r["points"], r["balance_after"]) for r in rows] == [
        ("entry-1", "earned", 100, 100), ("entry-2", "earned", 50, 150), ("entry-3", "earned", 7, 7),
    ]  # fmt: skip
    assert rows[1]["available_at"] == pending_until
    assert {r["ledger_topic"] for r in rows} == {topics.LEDGER.name}
    balances = run(fetch(database_url, db_schema, "SELECT * FROM balances ORDER BY customer_id"))
    assert [(b["customer_id"], b["balance"], b["lifetime_earned"], b["tier"], b["frozen"]) for b in balances] == [
        ("ada", 150, 150, "member", False), ("bo", 7, 7, "member", False),
    ]  # fmt: skip
    lots = run(fetch(database_url, db_schema, "SELECT lot_id, remaining FROM lots ORDER BY lot_id"))
    assert [(lot["lot_id"], lot["remaining"]) for lot in lots] == [("entry-1", 100), ("entry-2", 50), ("entry-3", 7)]


def test_each_customer_is_projected_from_the_partition_the_java_partitioner_gives(
    namespace: str, database_url: str, db_schema: str
):
    produce_ledger([earned(i, f"customer-{i}", 1) for i in range(60)])
    project_everything(database_url, db_schema)
    balances = run(fetch(database_url, db_schema, "SELECT customer_id, ledger_partition FROM balances"))
    assert len(balances) == 60
    assert all(b["ledger_partition"] == partition(f"north:{b['customer_id']}".encode(), 3) for b in balances)


def test_a_duplicate_ledger_entry_does_not_change_the_balance(namespace: str, database_url: str, db_schema: str):
    produce_ledger([earned(1, "ada", 100), earned(2, "ada", 5)])
    project_everything(database_url, db_schema)
    produce_ledger([earned(1, "ada", 100), earned(3, "ada", 1), earned(3, "ada", 1)])
    project_everything(database_url, db_schema)

    rows = run(fetch(database_url, db_schema, "SELECT entry_id, balance_after FROM ledger_entries ORDER BY entry_id"))
    assert [(r["entry_id"], r["balance_after"]) for r in rows] == [("entry-1", 100), ("entry-2", 105), ("entry-3", 106)]
    [balance] = run(fetch(database_url, db_schema, "SELECT balance, lifetime_earned FROM balances"))
    assert (balance["balance"], balance["lifetime_earned"]) == (106, 106)


def test_an_undecodable_ledger_record_is_counted_and_skipped(namespace: str, database_url: str, db_schema: str):
    before = REGISTRY.get_sample_value("pointstream_projector_records_total", {"outcome": "undecodable"}) or 0
    produce_ledger([earned(1, "ada", 10), b"not avro at all", b"\xc3\x01\x00\x00\x00\x00\x00\x00\x00\x00", b""])
    produce_ledger([earned(2, "ada", 20)])
    project_everything(database_url, db_schema)

    after = REGISTRY.get_sample_value("pointstream_projector_records_total", {"outcome": "undecodable"})
    assert after == before + 3
    [balance] = run(fetch(database_url, db_schema, "SELECT balance FROM balances"))
    assert balance["balance"] == 30


def test_two_projectors_holding_a_partition_during_a_rebalance_apply_each_record_once(
    database_url: str, db_schema: str
):
    def record(i: int) -> LedgerRecord:
        return LedgerRecord(f"e{i}", "north", "ada", "earned", 10, "order", f"s{i}", AT, f"e{i}", AT, AT, 0, i)

    async def both() -> None:
        first, second = [await postgres.connect(database_url, db_schema) for _ in range(2)]
        # The old owner still writes offsets 0-9 while the new one, seeked to 0, writes 0-4 and then 5-14.
        await asyncio.gather(
            transaction.project_batch(first, Consumed("ledger", [record(i) for i in range(10)], {0: 10})),
            transaction.project_batch(second, Consumed("ledger", [record(i) for i in range(5)], {0: 5})),
        )
        await transaction.project_batch(second, Consumed("ledger", [record(i) for i in range(5, 15)], {0: 15}))
        await first.close()
        await second.close()

    run(both())
    [balance] = run(fetch(database_url, db_schema, "SELECT balance FROM balances"))
    assert balance["balance"] == 150
    [position] = run(fetch(database_url, db_schema, "SELECT next_offset FROM projection_positions"))
    assert position["next_offset"] == 15
    rows = run(fetch(database_url, db_schema, "SELECT balance_after FROM ledger_entries ORDER BY ledger_offset"))
    assert [r["balance_after"] for r in rows] == [10 * (i + 1) for i in range(15)]
