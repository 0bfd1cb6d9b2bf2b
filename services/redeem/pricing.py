"""What a redemption costs and what it hands out: price, points + cash, codes, shipping, draws. Pure.

Price in points: `points_price x quantity x (1 - tier discount) x (1 - best limited-time discount)
x points share`, exact fractions, rounded up to a whole point once at the end. The points share of
a points + cash request is `1 - cash_minor / (cash_price_minor x quantity)`, between the reward's
`min_points_share` and `max_points_share`.

Everything handed out is recomputable by an auditor from the shop's secret, with a key per purpose
(`services.shop_keys`: HKDF-SHA256 of the secret, labelled) and the redemption's subject, the JSON
array `["{shop_id}","{customer_id}","{redemption_id}"]` without spaces (`json.dumps(...,
separators=(",", ":"))`): a generated coupon code is the base32 of HMAC-SHA256(coupon-code key,
subject), 12 characters; a lottery draw walks the prize table to HMAC-SHA256(lottery key, subject)
as a big-endian integer modulo the total weight. Both are per customer, and nobody without the
secret can compute them: a customer knows neither key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction
from math import ceil

from services import shop_keys
from services.redeem.catalog import Prize, Reward
from services.redeem.events import entry_id

CODE_LENGTH = 12


def discount(reward: Reward, tier: str, now: datetime) -> Fraction:
    """The factor the tier and the best limited-time discount in force at `now` leave of the price."""
    in_force = [d.percent for d in reward.discounts if d.in_force(now)]
    best = max(in_force, default=Fraction(0))
    return (1 - reward.tier_discounts.get(tier, Fraction(0))) * (1 - best / 100)


def points_share(reward: Reward, quantity: int, cash_minor: int | None) -> Fraction | None:
    """The share of the price paid in points, or None when the cash part is not acceptable."""
    if cash_minor is None:
        share = Fraction(1)
    elif reward.cash_price_minor is None or cash_minor < 0 or cash_minor > reward.cash_price_minor * quantity:
        return None
    else:
        share = 1 - Fraction(cash_minor, reward.cash_price_minor * quantity)
    return share if reward.min_points_share <= share <= reward.max_points_share else None


def price(reward: Reward, quantity: int, tier: str, now: datetime, share: Fraction = Fraction(1)) -> int:
    """Points to pay for `quantity` units at `now`, rounded up once."""
    return ceil(reward.points_price * quantity * discount(reward, tier, now) * share)


def subject(shop_id: str, customer_id: str, redemption_id: str) -> bytes:
    """What a redemption's code and draw are computed from: unambiguous whatever the ids hold."""
    return json.dumps([shop_id, customer_id, redemption_id], separators=(",", ":")).encode()


def _mac(secret: str | bytes, purpose: str, message: bytes) -> bytes:
    return hmac.new(shop_keys.derive(secret, purpose), message, hashlib.sha256).digest()


def coupon_code(secret: str | bytes, shop_id: str, customer_id: str, redemption_id: str) -> str:
    digest = _mac(secret, shop_keys.COUPON_CODE, subject(shop_id, customer_id, redemption_id))
    return base64.b32encode(digest).decode()[:CODE_LENGTH]


def draw(prizes: Sequence[Prize], secret: str | bytes, shop_id: str, customer_id: str, redemption_id: str) -> str:
    """The prize a lottery redemption wins: auditable, the same for the same secret and redemption."""
    total = sum(p.weight for p in prizes)
    if total <= 0:
        raise ValueError("a prize table needs a positive total weight")
    digest = _mac(secret, shop_keys.LOTTERY, subject(shop_id, customer_id, redemption_id))
    roll = int.from_bytes(digest, "big") % total
    for prize in prizes:
        if roll < prize.weight:
            return prize.name
        roll -= prize.weight
    raise AssertionError("unreachable: the roll is below the total weight")  # pragma: no cover


def shipping_id(shop_id: str, redemption_id: str) -> str:
    return entry_id(shop_id, redemption_id, "shipping")
