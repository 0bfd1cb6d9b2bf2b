"""The redeem step on the real PostgreSQL: a grant that no approval uses goes back to the stock, at the end of its
batch when the same process decides the request otherwise, by the tick's reconciliation when nobody is left to."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from services.common.database import connect
from services.redeem.reward_stock import Stock
from tests.unit.redeem.step import Partition, records
from tests.unit.redeem.support import BOB, DAY, T0, earned, request, tick


def sql(database_url: str, schema: str, statement: str, *args: Any) -> Any:
    async def run() -> Any:
        conn = await connect(database_url, schema)
        try:
            return await conn.fetchval(statement, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def reserved(database_url: str, schema: str) -> int:
    return int(sql(database_url, schema, "SELECT coalesce(sum(reserved), 0) FROM reward_stock"))


def on_postgres(database_url: str, schema: str) -> Partition:
    partition = Partition(stock=Stock(database_url, schema))  # type: ignore[arg-type]
    partition.offer("mug", stock=1)
    partition.send(earned(500))
    partition.send(earned(500, customer=BOB))
    return partition


def test_a_retry_deciding_otherwise_after_an_abort_gives_the_unit_back_in_postgresql(
    database_url: str, db_schema: str
) -> None:
    partition = on_postgres(database_url, db_schema)
    asked = request("mug", redemption="red-1")
    assert records(partition.send(asked, commit=False), "RedemptionApproved")  # the transaction aborted
    assert reserved(database_url, db_schema) == 1
    partition.offer("mug", version=2, stock=1, active=False)

    assert [r["reason"] for r in records(partition.send(asked), "RedemptionRejected")] == ["unknown_reward"]

    assert reserved(database_url, db_schema) == 0
    partition.offer("mug", version=3, stock=1)
    assert records(partition.send(request("mug", customer=BOB)), "RedemptionApproved")


def test_a_tick_gives_back_the_unit_of_a_request_never_decided_and_keeps_the_approved_ones(
    database_url: str, db_schema: str
) -> None:
    partition = on_postgres(database_url, db_schema)
    partition.offer("mug", version=2, stock=2)
    partition.send(request("mug", redemption="red-1"))
    partition.send(request("mug", redemption="red-2"), commit=False)  # reserved, then dead-lettered
    partition.redeem.granted.clear()  # and the process restarted
    partition.send(tick(T0))
    assert reserved(database_url, db_schema) == 2  # too recent: a transaction may still commit on it

    sql(database_url, db_schema, "UPDATE reward_reservations SET touched_at = now() - interval '16 minutes'")
    partition.send(tick(T0))

    assert reserved(database_url, db_schema) == 1
    settled = "SELECT settled FROM reward_reservations WHERE redemption_id = $1"
    assert sql(database_url, db_schema, settled, "red-1") is True
    assert sql(database_url, db_schema, "SELECT released FROM reward_reservations WHERE redemption_id = 'red-2'")
    assert records(partition.send(request("mug", customer=BOB)), "RedemptionApproved")


def test_a_batch_reserves_in_the_batchs_order_and_its_retry_gives_back_together_what_it_decided_otherwise(
    database_url: str, db_schema: str
) -> None:
    partition = on_postgres(database_url, db_schema)
    partition.offer("mug", version=2, stock=2)
    partition.send(earned(100, customer="eve", lifetime=DAY))
    later = T0 + timedelta(hours=1)  # before eve's lot expires; the tick moves her clock past it
    batch = [tick(T0 + 2 * DAY), request("mug", redemption="red-eve", customer="eve", at=later),
             request("mug", redemption="red-1"), request("mug", redemption="red-bob", customer=BOB)]  # fmt: skip

    first = partition.send_all(batch, commit=False)  # the Kafka transaction aborted after the steps
    assert sorted(r["redemption_id"] for r in records(first, "RedemptionApproved")) == ["red-1", "red-bob"]
    assert [r["reason"] for r in records(first, "RedemptionRejected")] == ["insufficient_points"]
    assert sql(database_url, db_schema, "SELECT count(*) FROM reward_reservations WHERE redemption_id = 'red-eve'") == 0
    assert reserved(database_url, db_schema) == 2
    partition.offer("mug", version=3, stock=2, active=False)  # deactivated before the retry

    again = partition.send_all(batch)

    assert [r["reason"] for r in records(again, "RedemptionRejected")] == 3 * ["unknown_reward"]
    assert reserved(database_url, db_schema) == 0
    given_back = "SELECT count(*) FROM reward_reservations WHERE granted AND released"
    assert sql(database_url, db_schema, given_back) == 2
