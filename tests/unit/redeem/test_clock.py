"""Time that expires lots comes only from the engine: no shop's record moves a partition's or a customer's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Rejected
from services.common.statestore import StateView
from tests.unit.redeem.step import Partition, records
from tests.unit.redeem.support import ADA, BOB, DAY, T0, YEAR, earned, request, tick

FORGED = T0 + 20 * YEAR


def test_a_tick_on_the_topic_shops_write_is_dead_lettered_and_expires_nothing() -> None:
    partition = Partition()
    partition.send(earned(100, customer=ADA, lifetime=30 * DAY))
    partition.send(earned(100, customer=BOB, lifetime=30 * DAY))

    with pytest.raises(Rejected, match="moves no clock"):
        partition.redeem.step(b"north:ada", decoded_tick(FORGED), view_of(partition))

    assert [r["customer_id"] for r in records(partition.send(tick(T0 + 31 * DAY)), "PointsExpired")] == [ADA, BOB]


def test_a_tick_of_the_old_ticker_in_a_replayed_log_is_skipped_and_expires_nothing() -> None:
    partition = Partition()
    partition.send(earned(100, lifetime=30 * DAY))

    assert partition.send(tick(FORGED), topic=topics.REDEMPTION_REQUESTS.name) == []

    assert partition.account(ADA).available(T0 + DAY) == 100
    assert records(partition.send(tick(T0 + DAY)), "PointsExpired") == []


def test_an_event_dated_far_past_its_time_in_the_log_moves_the_customers_clock_no_further_than_the_tolerance() -> None:
    partition = Partition()
    partition.offer("mug")
    partition.send(earned(100, lot="kept", lifetime=30 * DAY), logged_at=T0)

    partition.send(earned(1, lot="forged", at=FORGED), logged_at=T0)

    ada = partition.account(ADA)
    assert ada.clock == T0 + timedelta(minutes=5)
    assert (ada.available(T0 + DAY), ada.pending(T0 + DAY)) == (100, 1)  # the forged lot waits for its own date
    assert records(partition.send(tick(T0 + DAY)), "PointsExpired") == []
    asked = request("mug", at=FORGED)
    assert records(partition.send(asked, logged_at=T0 + DAY), "RedemptionApproved")[0]["occurred_at"] == T0 + DAY + (
        timedelta(minutes=5)
    )


def test_an_event_dated_within_the_tolerance_or_in_the_past_keeps_its_own_time() -> None:
    partition = Partition()
    partition.send(earned(100, at=T0 + timedelta(minutes=4)), logged_at=T0)
    partition.send(earned(100, at=T0 - YEAR), logged_at=T0)

    assert partition.account(ADA).clock == T0 + timedelta(minutes=4)


def decoded_tick(now: datetime) -> Decoded:
    return Decoded("ExpiryTick", {"partition": 0, "now": now}, topics.REDEMPTION_REQUESTS.name, 0, None)


def view_of(partition: Partition) -> StateView:
    return StateView(partition.store, partition.number, {})
