"""The catalog: a reward read from its document, and every mistake named by its field."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from services.redeem.catalog import Discount, InvalidReward, Prize, reward_from
from tests.unit.redeem.support import SHOP


def test_given_a_minimal_document_then_the_reward_is_active_unlimited_and_open_to_every_tier() -> None:
    mug = reward_from({"name": "Mug", "kind": "physical", "points_price": 500}, SHOP, "mug")

    assert (mug.shop_id, mug.reward_id, mug.name, mug.kind, mug.points_price) == (SHOP, "mug", "Mug", "physical", 500)
    assert mug.active
    assert mug.stock is None
    assert mug.tiers is None
    assert mug.per_customer_limit is None
    assert mug.cash_price_minor is None
    assert (mug.min_points_share, mug.max_points_share) == (Fraction(0), Fraction(1))


def test_given_a_lottery_without_a_price_then_a_draw_costs_100_points() -> None:
    lottery = reward_from({"name": "Wheel", "kind": "lottery", "prizes": [{"name": "mug", "weight": 1}]}, SHOP, "w")

    assert lottery.points_price == 100
    assert lottery.prizes == (Prize("mug", 1),)


def test_given_everything_then_each_setting_is_read_exactly() -> None:
    document = {
        "name": "Gift card",
        "kind": "coupon",
        "points_price": 1_000,
        "cash_price_minor": 2_000,
        "min_points_share": "0.25",
        "max_points_share": "0.5",
        "stock": 2,
        "tiers": ["gold", "diamond"],
        "tier_discounts": {"gold": "0.1", "diamond": "0.2500"},
        "discounts": [{"percent": "12.5", "starts_at": "2026-11-27T00:00:00Z", "ends_at": "2026-11-30T00:00:00+01:00"}],
        "per_customer_limit": 3,
        "codes": ["GIFT-1", "GIFT-2", "GIFT-3"],
        "active": False,
    }

    card = reward_from(document, SHOP, "card")

    assert card.cash_price_minor == 2_000
    assert (card.min_points_share, card.max_points_share) == (Fraction(1, 4), Fraction(1, 2))
    assert card.stock == 2
    assert card.tiers == frozenset({"gold", "diamond"})
    assert card.tier_discounts == {"gold": Fraction(1, 10), "diamond": Fraction(1, 4)}
    assert card.discounts == (
        Discount(Fraction(25, 2), datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 29, 23, tzinfo=UTC)),
    )
    assert card.per_customer_limit == 3
    assert card.codes == ("GIFT-1", "GIFT-2", "GIFT-3")
    assert not card.active


def test_given_a_code_pool_and_no_stock_then_the_stock_is_the_number_of_codes() -> None:
    coupon = reward_from({"name": "10% off", "kind": "coupon", "points_price": 200, "codes": ["A", "B"]}, SHOP, "c")

    assert coupon.stock == 2


def test_given_a_discount_without_dates_then_it_is_always_in_force() -> None:
    sale = reward_from(
        {"name": "Mug", "kind": "service", "points_price": 50, "discounts": [{"percent": 20}]}, SHOP, "m"
    )

    assert sale.discounts[0].in_force(datetime(1999, 1, 1, tzinfo=UTC))


MUG = {"name": "Mug", "kind": "physical", "points_price": 100}
LOTTERY = {"name": "Wheel", "kind": "lottery", "prizes": [{"name": "mug", "weight": 1}]}


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ([], "$"),
        ({**MUG, "colour": "red"}, "colour"),
        ({**MUG, "kind": "voucher"}, "kind"),
        ({k: v for k, v in MUG.items() if k != "kind"}, "kind"),
        ({**MUG, "name": " "}, "name"),
        ({k: v for k, v in MUG.items() if k != "points_price"}, "points_price"),
        ({**MUG, "points_price": 0}, "points_price"),
        ({**MUG, "points_price": 1.5}, "points_price"),
        ({**MUG, "points_price": True}, "points_price"),
        ({**MUG, "cash_price_minor": 0}, "cash_price_minor"),
        ({**MUG, "max_points_share": "0.5"}, "max_points_share"),
        ({**MUG, "cash_price_minor": 500, "max_points_share": "1.5"}, "max_points_share"),
        ({**MUG, "cash_price_minor": 500, "max_points_share": "1e-3"}, "max_points_share"),
        ({**MUG, "cash_price_minor": 500, "max_points_share": "0.12345"}, "max_points_share"),
        ({**MUG, "cash_price_minor": 500, "max_points_share": 0.5}, "max_points_share"),
        ({**MUG, "min_points_share": "0.2"}, "min_points_share"),
        ({**MUG, "cash_price_minor": 500, "min_points_share": "1.2"}, "min_points_share"),
        ({**MUG, "cash_price_minor": 500, "min_points_share": "0.6", "max_points_share": "0.5"}, "min_points_share"),
        ({**MUG, "stock": -1}, "stock"),
        ({**MUG, "tiers": "gold"}, "tiers"),
        ({**MUG, "tiers": ["gold", ""]}, "tiers[1]"),
        ({**MUG, "tier_discounts": ["gold"]}, "tier_discounts"),
        ({**MUG, "tier_discounts": {"gold": "-0.1"}}, "tier_discounts.gold"),
        ({**MUG, "tier_discounts": {"gold": "2"}}, "tier_discounts.gold"),
        ({**MUG, "discounts": {"percent": 10}}, "discounts"),
        ({**MUG, "discounts": [{"percent": 10, "until": "2026-01-01"}]}, "discounts[0]"),
        ({**MUG, "discounts": [{"percent": "101"}]}, "discounts[0].percent"),
        ({**MUG, "discounts": [{"percent": 10, "starts_at": "soon"}]}, "discounts[0].starts_at"),
        ({**MUG, "discounts": [{"percent": 10, "ends_at": "2026-01-01T00:00:00"}]}, "discounts[0].ends_at"),
        (
            {**MUG, "discounts": [{"percent": 10, "starts_at": "2026-02-01T00:00Z", "ends_at": "2026-01-01T00:00Z"}]},
            "discounts[0].ends_at",
        ),
        ({**MUG, "per_customer_limit": 0}, "per_customer_limit"),
        ({**MUG, "prizes": [{"name": "mug", "weight": 1}]}, "prizes"),
        ({**MUG, "codes": ["A"]}, "codes"),
        ({**MUG, "active": "yes"}, "active"),
        ({**LOTTERY, "prizes": []}, "prizes"),
        ({k: v for k, v in LOTTERY.items() if k != "prizes"}, "prizes"),
        ({**LOTTERY, "prizes": [{"name": "mug", "weight": 0}]}, "prizes[0].weight"),
        ({**LOTTERY, "prizes": [{"name": "mug"}]}, "prizes[0]"),
        ({**LOTTERY, "prizes": [{"name": "", "weight": 1}]}, "prizes[0].name"),
        ({**MUG, "kind": "coupon", "codes": []}, "codes"),
        ({**MUG, "kind": "coupon", "codes": ["A", "A"]}, "codes"),
        ({**MUG, "kind": "coupon", "codes": ["A", 7]}, "codes[1]"),
        ({**MUG, "kind": "coupon", "codes": ["A", "B"], "stock": 3}, "stock"),
    ],
)
def test_given_a_wrong_document_then_the_error_names_the_field(document: Any, path: str) -> None:
    with pytest.raises(InvalidReward) as raised:
        reward_from(document, SHOP, "r")

    assert raised.value.path == path
    assert str(raised.value).startswith(f"{path}: ")
