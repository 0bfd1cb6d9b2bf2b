"""The catalog as the API shows it: a reward document read by the redeem service's own parser.

Whether a reward document is valid is for `services.redeem.catalog.reward_from` to say, the parser
that applies it; `InvalidReward.path` names the field at fault. The view is what the parser makes
of the document (defaults filled in, fractions as decimal strings) plus `remaining`: stock less
what the redeem service has reserved. A coupon's code pool is never shown.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel, Field

from services.readmodels.postgres.rewards import Stocked
from services.redeem.catalog import InvalidReward, Reward, reward_from

__all__ = ["Catalog", "InvalidReward", "RewardAccepted", "RewardOut", "reward_from", "shown"]
log = logging.getLogger(__name__)


class DiscountOut(BaseModel):
    percent: str = Field(description='off the points price, e.g. "20"')
    starts_at: datetime | None
    ends_at: datetime | None


class PrizeOut(BaseModel):
    name: str
    weight: int


class RewardOut(BaseModel):
    reward_id: str
    name: str
    kind: str = Field(description="`coupon`, `physical`, `service` or `lottery`")
    points_price: int
    cash_price_minor: int | None = Field(description="the full cash price per unit, for points + cash")
    min_points_share: str = Field(description='the share of the price points must pay at least, e.g. "0.2"')
    max_points_share: str = Field(description='the share of the price points may pay, e.g. "0.75"')
    stock: int | None = Field(description="null: unlimited")
    remaining: int | None = Field(description="stock less what is reserved by approved redemptions; null: unlimited")
    tiers: list[str] | None = Field(description="the tiers that may redeem it; null: every tier")
    tier_discounts: dict[str, str] = Field(description='tier -> share off the points price, e.g. {"gold": "0.1"}')
    discounts: list[DiscountOut] = Field(description="limited-time discounts")
    per_customer_limit: int | None
    prizes: list[PrizeOut] = Field(description="a lottery's prize table")
    active: bool
    version: int
    configured_at: datetime


class Catalog(BaseModel):
    rewards: list[RewardOut]


class RewardAccepted(BaseModel):
    reward_id: str
    version: int
    position: str = Field(description="`topic:partition:offset` of the version on loyalty.rewards")


def shown(stocked: Stocked) -> RewardOut | None:
    """The reward as the API shows it; None (logged) if its document no longer parses."""
    v = stocked.version
    try:
        reward = reward_from(v.document, v.shop_id, v.reward_id)
    except InvalidReward as exc:
        log.error("reward %s of shop %s, version %d, is invalid: %s", v.reward_id, v.shop_id, v.version, exc)
        return None
    return RewardOut(
        reward_id=reward.reward_id, name=reward.name, kind=reward.kind, points_price=reward.points_price,
        cash_price_minor=reward.cash_price_minor, min_points_share=decimal(reward.min_points_share),
        max_points_share=decimal(reward.max_points_share),
        stock=reward.stock, remaining=remaining(reward, stocked.reserved),
        tiers=None if reward.tiers is None else sorted(reward.tiers),
        tier_discounts={tier: decimal(share) for tier, share in sorted(reward.tier_discounts.items())},
        discounts=[DiscountOut(percent=decimal(d.percent), starts_at=d.starts_at, ends_at=d.ends_at)
                   for d in reward.discounts],
        per_customer_limit=reward.per_customer_limit, prizes=[PrizeOut(name=p.name, weight=p.weight)
                                                              for p in reward.prizes],
        active=reward.active, version=v.version, configured_at=v.configured_at,
    )  # fmt: skip


def remaining(reward: Reward, reserved: int) -> int | None:
    return None if reward.stock is None else max(0, reward.stock - reserved)


def decimal(value: Fraction) -> str:
    """An exact decimal string: the parser reads at most 4 decimal places, so every fraction ends."""
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f")
