"""A reservation is its customer's, and one granted and not used is given back, never leaked."""

from __future__ import annotations

from services.redeem.account import Account
from services.redeem.events import RedemptionApproved, RedemptionRejected
from services.redeem.redemption import Approvable
from services.redeem.reservations import Reservation, decide_reserved, uses_reservation, verdict
from tests.unit.redeem.step import Partition, records
from tests.unit.redeem.support import ADA, BOB, SECRET, SHOP, T0, World, earned, of_type, request, reward, tick


def test_given_a_reservation_then_only_an_approval_uses_it() -> None:
    world = World()
    world.send(earned(500))
    asked = request("mug", redemption="red-1")
    approvable = Approvable("red-1", "mug", 1, 100, None)
    mug, ada = reward(), world.account()

    approved = decide_reserved(approvable, ada, mug, asked, T0, SECRET, Reservation(True, 0))
    out_of_stock = decide_reserved(approvable, ada, mug, asked, T0, SECRET, Reservation(False))
    taken = decide_reserved(approvable, ada, mug, asked, T0, SECRET, Reservation(False, taken=True))

    assert of_type(approved, RedemptionApproved)
    assert uses_reservation(approved)
    assert [r.reason for r in of_type(out_of_stock, RedemptionRejected)] == ["out_of_stock"]
    assert [r.reason for r in of_type(taken, RedemptionRejected)] == ["redemption_id_taken"]
    assert not uses_reservation(out_of_stock)
    assert not uses_reservation(taken)


def test_given_a_grant_no_approval_confirmed_then_the_account_decides_whether_it_is_kept() -> None:
    world = World()
    world.send(earned(500), request("mug", redemption="red-1"), request("lounge", redemption="red-2"))

    assert verdict(world.account(), "red-1") == "settle"
    assert verdict(world.account(), "red-2") == "release"  # rejected: unknown_reward
    assert verdict(world.account(), "red-3") == "release"  # never decided
    assert verdict(Account(SHOP, ADA), "red-1") == "release"
    assert verdict(None, "red-1") == "elsewhere"


def test_another_customers_request_reusing_a_redemption_id_is_rejected_and_never_gets_the_first_code() -> None:
    partition = Partition()
    partition.offer("ten-off", kind="coupon")
    partition.send(earned(500, customer=ADA))
    partition.send(earned(500, customer=BOB))

    first = partition.send(request("ten-off", redemption="red-1", customer=ADA))
    second = partition.send(request("ten-off", redemption="red-1", customer=BOB))

    [approved] = records(first, "RedemptionApproved")
    assert approved["code"]
    assert records(second, "RedemptionApproved") == []
    assert [r["reason"] for r in records(second, "RedemptionRejected")] == ["redemption_id_taken"]
    assert all(approved["code"] not in str(o.record) for o in second)
    assert partition.account(BOB).available(T0) == 500


def test_a_retry_that_decides_otherwise_after_an_aborted_transaction_gives_its_grant_back() -> None:
    partition = Partition()
    partition.offer("mug", stock=1)
    partition.send(earned(500))
    asked = request("mug", redemption="red-1")

    assert records(partition.send(asked, commit=False), "RedemptionApproved")  # reserved, then the batch aborted
    assert partition.stock.units == {"mug": 1}
    partition.offer("mug", version=2, stock=1, active=False)  # deactivated before the retry

    assert [r["reason"] for r in records(partition.send(asked), "RedemptionRejected")] == ["unknown_reward"]
    assert partition.stock.units == {"mug": 0}
    partition.offer("mug", version=3, stock=1)
    partition.send(earned(500, customer=BOB))
    assert records(partition.send(request("mug", customer=BOB)), "RedemptionApproved")  # the unit was back


def test_a_grant_left_by_a_request_never_decided_is_given_back_by_the_tick_and_an_approved_one_is_kept() -> None:
    partition = Partition()
    partition.offer("mug", stock=2)
    partition.send(earned(500))
    partition.send(request("mug", redemption="red-1"))  # approved and committed
    partition.send(request("mug", redemption="red-2"), commit=False)  # reserved; then dead-lettered, say
    partition.redeem.granted.clear()  # a restarted process remembers nothing
    assert partition.stock.units == {"mug": 2}

    partition.send(tick(T0))

    assert partition.stock.units == {"mug": 1}
    assert partition.stock.held[(SHOP, "red-1")].settled
    assert partition.stock.held[(SHOP, "red-2")].released
    partition.send(earned(500, customer=BOB))
    assert records(partition.send(request("mug", customer=BOB)), "RedemptionApproved")


def test_a_reservation_of_another_partitions_customer_is_left_to_that_partition() -> None:
    partition = Partition()
    partition.offer("mug")
    partition.send(earned(500))
    partition.send(request("mug", redemption="red-1"), commit=False)
    partition.redeem.granted.clear()
    partition.stock.held[(SHOP, "red-1")].partition = None  # made before reservations knew their partition
    elsewhere = Partition(number=1, stock=partition.stock, rewards=partition.rewards)

    elsewhere.send(tick(T0))
    assert not partition.stock.held[(SHOP, "red-1")].released
    partition.send(tick(T0))
    assert partition.stock.held[(SHOP, "red-1")].released
