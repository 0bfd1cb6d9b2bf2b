"""The redeem processor's own step over an in-memory state store: the tier it keeps, what it stores, what it ignores."""

from __future__ import annotations

from services.common import topics
from services.common.codec import Decoded
from services.common.statestore import StateView
from services.records import TierChanged
from services.redeem.state import TIER
from tests.unit.redeem.step import Partition, records
from tests.unit.redeem.support import ADA, SHOP, T0, earned, request


def gold(customer: str = ADA) -> TierChanged:
    return TierChanged(SHOP, customer, T0, "member", "gold", "upgrade", 5_000)


def test_a_tier_change_is_kept_beside_the_account_and_opens_the_rewards_of_that_tier() -> None:
    partition = Partition()
    partition.offer("lounge", tiers=["gold"])
    partition.send(earned(500, lot="lot-1"))

    refused = partition.send(request("lounge", redemption="red-1"))
    assert partition.send(gold(), topic=topics.TIERS.name) == []
    approved = partition.send(request("lounge", redemption="red-2"))

    assert [r["reason"] for r in records(refused, "RedemptionRejected")] == ["not_eligible"]
    assert [r["redemption_id"] for r in records(approved, "RedemptionApproved")] == ["red-2"]
    assert partition.state()[topics.customer_key(SHOP, ADA) + TIER] == b"gold"


def test_a_tier_change_of_a_customer_with_no_account_stores_only_the_tier() -> None:
    partition = Partition()

    partition.send(gold("new"), topic=topics.TIERS.name)

    assert partition.state() == {topics.customer_key(SHOP, "new") + TIER: b"gold"}


def test_its_own_ledger_entries_read_back_change_nothing() -> None:
    partition = Partition()
    partition.offer("mug")
    partition.send(earned(500, lot="lot-1"))
    [redeemed] = records(partition.send(request("mug", redemption="red-1")), "PointsRedeemed")
    before = partition.state()

    read_back = Decoded("PointsRedeemed", redeemed, topics.LEDGER.name, 0, None)
    again = partition.redeem.step(topics.customer_key(SHOP, ADA), read_back, StateView(partition.store, 0, {}))

    assert again == []
    assert partition.state() == before
