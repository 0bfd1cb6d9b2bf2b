"""Prices in points (discounts, points + cash, one rounding up) and what an auditor can recompute."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter
from fractions import Fraction

from services.redeem.catalog import Prize
from services.redeem.pricing import coupon_code, draw, points_share, price, shipping_id
from services.shop_keys import hkdf_sha256
from tests.unit.redeem.support import ADA, BOB, DAY, SECRET, SHOP, T0, reward


def test_given_no_discount_then_the_price_is_the_points_price_times_the_quantity() -> None:
    assert price(reward(points_price=250), 3, "member", T0) == 750


def test_given_a_tier_discount_then_a_customer_of_that_tier_pays_less_rounded_up() -> None:
    mug = reward(points_price=333, tier_discounts={"gold": "0.1"})

    assert price(mug, 1, "gold", T0) == 300  # 299.7, rounded up
    assert price(mug, 1, "silver", T0) == 333


def test_given_several_limited_time_discounts_then_the_best_one_in_force_applies() -> None:
    sale = reward(
        points_price=1_000,
        discounts=[
            {"percent": "20", "starts_at": (T0 - DAY).isoformat(), "ends_at": (T0 + DAY).isoformat()},
            {"percent": "50", "starts_at": (T0 + DAY).isoformat(), "ends_at": (T0 + 2 * DAY).isoformat()},
            {"percent": "10"},
        ],
    )

    assert price(sale, 1, "member", T0 - 2 * DAY) == 900
    assert price(sale, 1, "member", T0) == 800
    assert price(sale, 1, "member", T0 + DAY) == 500  # the 20% sale ends as the 50% one starts
    assert price(sale, 1, "member", T0 + 2 * DAY) == 900


def test_given_a_tier_and_a_limited_time_discount_then_they_multiply_and_round_once() -> None:
    sale = reward(points_price=7, tier_discounts={"gold": "0.1"}, discounts=[{"percent": "10"}])

    assert price(sale, 1, "gold", T0) == 6  # 7 x 0.9 x 0.9 = 5.67; rounding each step would give 7


def test_given_points_and_cash_then_the_cash_pays_its_share_and_the_points_the_rest_rounded_up() -> None:
    gift = reward(points_price=100, cash_price_minor=1_000)

    assert price(gift, 1, "member", T0, Fraction(1, 2)) == 50
    share = points_share(gift, 1, 333)
    assert share == Fraction(667, 1_000)
    assert price(gift, 1, "member", T0, share) == 67  # 66.7, rounded up
    assert points_share(gift, 2, 1_000) == Fraction(1, 2)
    assert points_share(gift, 1, 1_000) == 0


def test_given_a_cash_part_that_does_not_fit_then_there_is_no_points_share() -> None:
    gift = reward(points_price=100, cash_price_minor=1_000, max_points_share="0.5")

    assert points_share(gift, 1, None) is None  # all in points is above the 50% allowed
    assert points_share(gift, 1, 499) is None
    assert points_share(gift, 1, 500) == Fraction(1, 2)
    assert points_share(gift, 1, -1) is None
    assert points_share(gift, 1, 1_001) is None
    assert points_share(reward(), 1, 100) is None  # no cash price
    assert points_share(reward(), 1, None) == 1


def test_given_a_minimum_points_share_then_cash_cannot_pay_more_than_the_rest() -> None:
    coupon = reward(points_price=1_000, cash_price_minor=500, min_points_share="0.2")

    assert points_share(coupon, 1, 500) is None  # all in cash: no points at all
    assert points_share(coupon, 1, 401) is None
    assert points_share(coupon, 1, 400) == Fraction(1, 5)
    assert price(coupon, 1, "member", T0, Fraction(1, 5)) == 200
    assert points_share(coupon, 1, None) == 1


def audited(purpose: str, *ids: str) -> bytes:
    """What an auditor computes with the shop's secret: HMAC-SHA256(the purpose's key, the JSON array of ids)."""
    key = hkdf_sha256(SECRET.encode(), purpose.encode(), 32)
    return hmac.new(key, json.dumps(list(ids), separators=(",", ":")).encode(), hashlib.sha256).digest()


def test_given_a_redemption_then_an_auditor_recomputes_its_coupon_code_from_the_shop_secret() -> None:
    code = coupon_code(SECRET, SHOP, ADA, "red-1")

    assert code == base64.b32encode(audited("pointstream/coupon-code/v1", SHOP, ADA, "red-1")).decode()[:12]
    assert len(code) == 12
    assert code == coupon_code(SECRET.encode(), SHOP, ADA, "red-1")
    assert len({code, coupon_code(SECRET, SHOP, ADA, "red-2"), coupon_code("other", SHOP, ADA, "red-1")}) == 3
    assert coupon_code(SECRET, "shop-2", ADA, "red-1") != code


def test_given_two_customers_with_the_same_redemption_id_then_their_generated_codes_differ() -> None:
    assert coupon_code(SECRET, SHOP, ADA, "red-1") != coupon_code(SECRET, SHOP, BOB, "red-1")
    # ids holding the separator an ambiguous encoding would use cannot make two redemptions one
    assert coupon_code(SECRET, SHOP, "a:b", "c") != coupon_code(SECRET, SHOP, "a", "b:c")


def test_given_a_prize_table_then_an_auditor_recomputes_the_draw_from_the_shop_secret() -> None:
    prizes = (Prize("mug", 3), Prize("cap", 5), Prize("nothing", 92))
    roll = int.from_bytes(audited("pointstream/lottery/v1", SHOP, ADA, "red-7"), "big") % 100
    expected = "mug" if roll < 3 else "cap" if roll < 8 else "nothing"

    assert draw(prizes, SECRET, SHOP, ADA, "red-7") == expected
    assert draw(prizes, SECRET, SHOP, ADA, "red-7") == expected


def test_given_many_draws_then_prizes_come_out_in_proportion_to_their_weights() -> None:
    prizes = (Prize("mug", 1), Prize("cap", 3))

    counts = Counter(draw(prizes, SECRET, SHOP, ADA, f"red-{i}") for i in range(4_000))

    assert set(counts) == {"mug", "cap"}
    assert 800 < counts["mug"] < 1_200


def test_given_a_single_prize_then_every_draw_wins_it() -> None:
    assert {draw((Prize("mug", 7),), SECRET, SHOP, ADA, f"red-{i}") for i in range(50)} == {"mug"}


def test_given_a_physical_reward_then_its_shipping_record_is_named_by_the_redemption() -> None:
    assert shipping_id(SHOP, "red-1") == shipping_id(SHOP, "red-1")
    assert shipping_id(SHOP, "red-1") != shipping_id(SHOP, "red-2")
    assert len(shipping_id(SHOP, "red-1")) == 32
