"""Redemptions: given a balance and a catalog, when a customer redeems, then approved or rejected with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from services.redeem.account import Account, evolve
from services.redeem.events import ContractViolation, PointsRedeemed, RedemptionApproved, RedemptionRejected, entry_id
from services.redeem.lots import LotShare
from services.redeem.pricing import coupon_code, draw, shipping_id
from services.redeem.redemption import Approvable, Duplicate, Refused, approve, decide_redemption
from tests.unit.redeem.support import (
    ADA,
    DAY,
    SECRET,
    SHOP,
    T0,
    World,
    earned,
    freeze,
    of_type,
    request,
    reward,
)

MUG = reward()


def rejection(world: World, *commands: object) -> str:
    events = world.send(*commands)  # type: ignore[arg-type]
    rejected = of_type(events, RedemptionRejected)
    assert len(rejected) == 1, events
    return rejected[0].reason  # type: ignore[no-any-return]


def test_given_enough_points_then_the_price_is_debited_from_the_lots_nearest_expiry_first() -> None:
    world = World()
    world.send(earned(80, lot="late", lifetime=300 * DAY), earned(50, lot="soon", lifetime=30 * DAY))

    events = world.send(request("mug", redemption="red-1", event_id="req-1", at=T0 + DAY))

    redeemed, approved = events
    assert redeemed == PointsRedeemed(
        entry_id=entry_id(SHOP, "req-1", "redeemed"),
        shop_id=SHOP,
        customer_id=ADA,
        occurred_at=T0 + DAY,
        source_event_id="req-1",
        reason="redemption red-1 of Mug",
        points=100,
        redemption_id="red-1",
        reward_id="mug",
        lots=(LotShare("soon", 50, T0 + 30 * DAY), LotShare("late", 50, T0 + 300 * DAY)),
    )
    assert isinstance(approved, RedemptionApproved)
    assert (approved.points, approved.quantity, approved.entry_id) == (100, 1, redeemed.entry_id)
    assert approved.shipping_id == shipping_id(SHOP, "red-1")
    assert world.account().available(T0 + DAY) == 30
    assert world.account().totals.redeemed == 100


def test_given_points_still_pending_then_they_cannot_be_spent() -> None:
    world = World()
    world.send(earned(60), earned(500, pending=14 * DAY))

    assert rejection(world, request("mug", at=T0 + 13 * DAY)) == "insufficient_points"
    assert of_type(world.send(request("mug", at=T0 + 14 * DAY)), RedemptionApproved)


def test_given_exactly_the_price_then_the_redemption_is_approved_and_nothing_is_left() -> None:
    world = World()
    world.send(earned(100))

    assert of_type(world.send(request("mug")), RedemptionApproved)
    assert world.account().available(T0) == 0


def test_given_a_reward_not_in_the_catalog_or_inactive_then_it_is_an_unknown_reward() -> None:
    world = World(rewards={"mug": MUG, "old": reward("old", active=False)})
    world.send(earned(1_000))

    assert rejection(world, request("teapot")) == "unknown_reward"
    assert rejection(world, request("old")) == "unknown_reward"


def test_given_a_quantity_below_one_then_it_is_an_invalid_quantity() -> None:
    world = World()
    world.send(earned(1_000))

    assert rejection(world, request("mug", quantity=0)) == "invalid_quantity"


def test_given_a_coupon_or_a_lottery_then_one_per_redemption() -> None:
    lottery = reward("wheel", kind="lottery", prizes=[{"name": "cap", "weight": 1}])
    world = World(rewards={"coupon": reward("coupon", kind="coupon"), "wheel": lottery})
    world.send(earned(1_000))

    assert rejection(world, request("coupon", quantity=2)) == "invalid_quantity"
    assert rejection(world, request("wheel", quantity=2)) == "invalid_quantity"


def test_given_a_frozen_account_then_it_cannot_redeem() -> None:
    world = World()
    world.send(earned(1_000), freeze())

    assert rejection(world, request("mug")) == "frozen"


def test_given_a_reward_for_some_tiers_then_other_tiers_are_not_eligible() -> None:
    world = World(rewards={"lounge": reward("lounge", kind="service", tiers=["gold", "diamond"])})
    world.send(earned(1_000), earned(1_000, customer="bob"))
    world.tiers["bob"] = "gold"

    assert rejection(world, request("lounge")) == "not_eligible"
    assert of_type(world.send(request("lounge", customer="bob")), RedemptionApproved)


def test_given_a_per_customer_limit_then_units_beyond_it_are_refused() -> None:
    world = World(rewards={"mug": reward(per_customer_limit=3)})
    world.send(earned(1_000))
    world.send(request("mug", quantity=2))

    assert rejection(world, request("mug", quantity=2)) == "limit_reached"
    assert of_type(world.send(request("mug", quantity=1)), RedemptionApproved)
    assert rejection(world, request("mug")) == "limit_reached"
    assert world.account().approved_units == {"mug": 3}


@pytest.mark.parametrize(
    ("document", "cash_minor"),
    [
        ({}, 100),  # no cash price
        ({"cash_price_minor": 1_000}, -1),
        ({"cash_price_minor": 1_000}, 1_001),  # more than the full price
        ({"cash_price_minor": 1_000, "max_points_share": "0.5"}, None),  # all in points is above the share
        ({"cash_price_minor": 1_000, "max_points_share": "0.5"}, 400),
        ({"cash_price_minor": 500, "min_points_share": "0.2"}, 500),  # the points' least share unpaid
        ({"cash_price_minor": 500, "min_points_share": "0.2"}, 401),
    ],
)
def test_given_a_cash_part_that_does_not_fit_the_reward_then_it_is_invalid_cash(
    document: dict[str, Any], cash_minor: int | None
) -> None:
    world = World(rewards={"mug": reward("mug", **document)})
    world.send(earned(1_000))

    assert rejection(world, request("mug", cash_minor=cash_minor)) == "invalid_cash"


def test_given_a_minimum_points_share_then_one_point_cannot_take_a_coupon_paid_almost_all_in_cash() -> None:
    coupon = reward("ten-off", kind="coupon", points_price=1_000, cash_price_minor=500, min_points_share="0.2")
    world = World(rewards={"ten-off": coupon})
    world.send(earned(1))

    assert rejection(world, request("ten-off", cash_minor=500)) == "invalid_cash"
    assert rejection(world, request("ten-off", cash_minor=400)) == "insufficient_points"  # 200 points due


def test_given_points_and_cash_then_the_points_pay_the_rest_and_the_cash_is_recorded() -> None:
    world = World(rewards={"mug": reward(points_price=300, cash_price_minor=1_500, max_points_share="0.5")})
    world.send(earned(1_000))

    approved = of_type(world.send(request("mug", quantity=2, cash_minor=1_600)), RedemptionApproved)[0]

    assert approved.points == 280  # 600 x (1 - 1600 / 3000) = 280
    assert approved.cash_minor == 1_600
    assert world.account().available(T0) == 720


def test_given_all_paid_in_cash_then_no_points_move() -> None:
    world = World(rewards={"mug": reward(cash_price_minor=1_000)})
    world.send(earned(10))

    events = world.send(request("mug", cash_minor=1_000))

    assert [type(e) for e in events] == [RedemptionApproved]
    assert events[0] == RedemptionApproved(
        redemption_id=events[0].redemption_id,  # type: ignore[union-attr]
        shop_id=SHOP,
        customer_id=ADA,
        occurred_at=T0,
        reward_id="mug",
        quantity=1,
        points=0,
        source_event_id=events[0].source_event_id,  # type: ignore[union-attr]
        cash_minor=1_000,
        shipping_id=events[0].shipping_id,  # type: ignore[union-attr]
    )


def test_given_too_few_points_then_it_is_insufficient_points() -> None:
    world = World()
    world.send(earned(99))

    assert rejection(world, request("mug")) == "insufficient_points"
    assert world.account().available(T0) == 99


def test_given_a_tier_discount_then_the_customer_pays_and_needs_only_the_discounted_price() -> None:
    world = World(rewards={"mug": reward(points_price=1_000, tier_discounts={"gold": "0.25"})})
    world.tiers[ADA] = "gold"
    world.send(earned(750))

    approved = of_type(world.send(request("mug")), RedemptionApproved)[0]

    assert approved.points == 750


def test_given_several_failures_then_the_first_in_the_documented_order_wins() -> None:
    world = World(rewards={"mug": reward(tiers=["gold"], per_customer_limit=1)})
    world.send(freeze())

    assert rejection(world, request("teapot", quantity=0)) == "unknown_reward"
    assert rejection(world, request("mug", quantity=0)) == "invalid_quantity"
    assert rejection(world, request("mug", quantity=2, cash_minor=5)) == "frozen"
    world.send(freeze(False))
    assert rejection(world, request("mug", quantity=2, cash_minor=5)) == "not_eligible"
    world.tiers[ADA] = "gold"
    assert rejection(world, request("mug", quantity=2, cash_minor=5)) == "limit_reached"
    assert rejection(world, request("mug", cash_minor=5)) == "invalid_cash"
    assert rejection(world, request("mug")) == "insufficient_points"


def test_given_no_stock_left_then_the_adapter_rejects_it_as_out_of_stock() -> None:
    world = World(rewards={"mug": reward(stock=1)})
    world.send(earned(1_000))
    world.send(request("mug"))

    assert rejection(world, request("mug")) == "out_of_stock"
    assert world.account().available(T0) == 900


def test_given_a_coupon_without_a_pool_then_its_code_is_generated_from_the_shop_secret() -> None:
    world = World(rewards={"coupon": reward("coupon", kind="coupon")})
    world.send(earned(1_000))

    approved = of_type(world.send(request("coupon", redemption="red-9")), RedemptionApproved)[0]

    assert approved.code == coupon_code(SECRET, SHOP, ADA, "red-9")
    assert (approved.shipping_id, approved.prize) == (None, None)


def test_given_a_code_pool_then_codes_go_out_in_the_order_of_approvals_until_none_is_left() -> None:
    world = World(rewards={"coupon": reward("coupon", kind="coupon", codes=["A-1", "A-2"])})
    world.send(earned(1_000), earned(1_000, customer="bob"))

    first = of_type(world.send(request("coupon")), RedemptionApproved)[0]
    second = of_type(world.send(request("coupon", customer="bob")), RedemptionApproved)[0]

    assert (first.code, second.code) == ("A-1", "A-2")
    assert rejection(world, request("coupon")) == "out_of_stock"


def test_given_a_pool_used_up_then_approve_rejects_as_out_of_stock_and_debits_nothing() -> None:
    account = evolve(Account(SHOP, ADA), earned(1_000))
    coupon = reward("coupon", kind="coupon", codes=["A-1"])
    asked = request("coupon")
    decision = decide_redemption(asked, account, coupon, "member", T0)
    assert isinstance(decision, Approvable)

    events = approve(decision, account, coupon, asked, T0, SECRET, code_index=1)

    assert [(type(e), e.reason) for e in events] == [(RedemptionRejected, "out_of_stock")]  # type: ignore[union-attr]


def test_given_a_lottery_then_the_draw_costs_its_price_and_the_prize_is_the_audited_draw() -> None:
    prizes = [{"name": "mug", "weight": 1}, {"name": "nothing", "weight": 9}]
    world = World(rewards={"wheel": reward("wheel", kind="lottery", points_price=None, prizes=prizes)})
    world.send(earned(250))

    approved = of_type(world.send(request("wheel", redemption="red-3")), RedemptionApproved)[0]

    assert approved.points == 100
    assert approved.prize == draw(world.rewards["wheel"].prizes, SECRET, SHOP, ADA, "red-3")
    assert approved.code is None


def test_given_the_same_request_delivered_twice_then_it_is_decided_once() -> None:
    world = World()
    world.send(earned(1_000))
    asked = request("mug")

    first = world.send(asked)
    again = world.send(asked)

    assert len(first) == 2
    assert again == []
    assert decide_redemption(asked, world.account(), MUG, "member", T0) == Duplicate()


def test_given_a_redemption_id_already_decided_under_another_event_then_it_breaks_the_contract() -> None:
    world = World()
    world.send(earned(50), request("mug", redemption="red-1"))

    with pytest.raises(ContractViolation):
        world.send(request("mug", redemption="red-1"))


def test_given_a_rejection_then_the_decision_carries_the_reason_only() -> None:
    decision = decide_redemption(request("mug"), Account(SHOP, ADA), MUG, "member", T0)

    assert decision == Refused("insufficient_points")


def test_given_an_approvable_request_then_the_decision_carries_its_price() -> None:
    account = evolve(Account(SHOP, ADA), earned(1_000))

    decision = decide_redemption(request("mug", quantity=3, redemption="red-5"), account, MUG, "member", T0)

    assert decision == Approvable("red-5", "mug", 3, 300, None)
