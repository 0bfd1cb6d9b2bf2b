"""The rewards catalog: one reward read from its JSON document (README: Balances, rewards and redemption). Pure.

Fractions (discounts, the points share) are decimal strings such as "0.1" or integers, read as
exact fractions; points and money are integers. Stock is kept here only as configured: the
adapter enforces it (a PostgreSQL reservation). A coupon with a code pool has at most as many
units in stock as it has codes. `InvalidReward.path` names the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any, Literal

from services import fields

Kind = Literal["coupon", "physical", "service", "lottery"]
KINDS: tuple[Kind, ...] = ("coupon", "physical", "service", "lottery")
LOTTERY_PRICE = 100
KNOWN = {
    "name", "kind", "points_price", "cash_price_minor", "min_points_share", "max_points_share", "stock", "tiers",
    "tier_discounts", "discounts", "per_customer_limit", "prizes", "codes", "active",
}  # fmt: skip
DECIMAL = re.compile(r"\d{1,12}(\.\d{1,4})?")
"""Plain decimals only: an exponent such as 1e-10000000 would make Fraction expand it."""


class InvalidReward(fields.InvalidField):
    pass


@dataclass(frozen=True)
class Discount:
    percent: Fraction
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def in_force(self, when: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= when) and (self.ends_at is None or when < self.ends_at)


@dataclass(frozen=True)
class Prize:
    name: str
    weight: int


@dataclass(frozen=True)
class Reward:
    shop_id: str
    reward_id: str
    name: str
    kind: Kind
    points_price: int
    cash_price_minor: int | None = None
    """The full price in cash, per unit, for points + cash."""
    min_points_share: Fraction = Fraction(0)
    """The least share of the price a points + cash redemption pays in points."""
    max_points_share: Fraction = Fraction(1)
    stock: int | None = None
    tiers: frozenset[str] | None = None
    tier_discounts: Mapping[str, Fraction] = field(default_factory=dict)
    discounts: tuple[Discount, ...] = ()
    per_customer_limit: int | None = None
    prizes: tuple[Prize, ...] = ()
    codes: tuple[str, ...] | None = None
    active: bool = True


@fields.refusals_as(InvalidReward)
def reward_from(document: Mapping[str, Any], shop_id: str, reward_id: str) -> Reward:
    """The reward a catalog document describes; raises InvalidReward naming the first bad field."""
    if not isinstance(document, Mapping):
        raise InvalidReward("$", "the reward is a JSON object")
    if unknown := sorted(set(document) - KNOWN):
        raise InvalidReward(unknown[0], f"unknown setting (known: {', '.join(sorted(KNOWN))})")
    get = document.get
    kind = get("kind")
    if kind not in KINDS:
        raise InvalidReward("kind", f"one of {', '.join(KINDS)}")
    cash = fields.optional_integer(get("cash_price_minor"), "cash_price_minor", minimum=1)
    min_share, max_share = _share(get, "min_points_share", cash, Fraction(0)), _share(get, "max_points_share", cash)
    if min_share > max_share:
        raise InvalidReward("min_points_share", "at most max_points_share")
    prizes = _prizes(get("prizes"), kind)
    codes = _codes(get("codes"), kind)
    stock = fields.optional_integer(get("stock"), "stock", minimum=0)
    if codes is not None:
        stock = len(codes) if stock is None else stock
        if stock > len(codes):
            raise InvalidReward("stock", f"at most the number of codes ({len(codes)})")
    return Reward(
        shop_id=shop_id,
        reward_id=reward_id,
        name=fields.name(get("name"), "name", 200),
        kind=kind,
        points_price=fields.integer(
            _or(get("points_price"), LOTTERY_PRICE if kind == "lottery" else None), "points_price", 1
        ),
        cash_price_minor=cash,
        min_points_share=min_share,
        max_points_share=max_share,
        stock=stock,
        tiers=_tiers(get("tiers")),
        tier_discounts=_tier_discounts(get("tier_discounts", {})),
        discounts=tuple(
            _discount(d, f"discounts[{i}]") for i, d in enumerate(fields.array(get("discounts", []), "discounts"))
        ),
        per_customer_limit=fields.optional_integer(get("per_customer_limit"), "per_customer_limit", minimum=1),
        prizes=prizes,
        codes=codes,
        active=fields.boolean(get("active", True), "active"),
    )


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _share(get: Any, path: str, cash: int | None, default: Fraction = Fraction(1)) -> Fraction:
    """A bound of the points share: from 0 to 1, and only for a reward that takes cash."""
    if (share := get(path)) is None:
        return default
    if cash is None:
        raise InvalidReward(path, "only for a reward with a cash_price_minor")
    return _fraction(share, path, at_most=Fraction(1))


def _fraction(value: Any, path: str, at_most: Fraction) -> Fraction:
    number = fields.decimal(value, path, DECIMAL, "0.1")
    if not 0 <= number <= at_most:
        raise InvalidReward(path, f"from 0 to {at_most}")
    return number


def _tiers(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(fields.name(t, f"tiers[{i}]", 200) for i, t in enumerate(fields.array(value, "tiers")))


def _tier_discounts(value: Any) -> dict[str, Fraction]:
    if not isinstance(value, Mapping):
        raise InvalidReward("tier_discounts", 'an object of tier -> discount such as "0.1"')
    return {
        fields.name(k, "tier_discounts", 200): _fraction(v, f"tier_discounts.{k}", Fraction(1))
        for k, v in value.items()
    }


def _discount(value: Any, path: str) -> Discount:
    if not isinstance(value, Mapping) or set(value) - {"percent", "starts_at", "ends_at"}:
        raise InvalidReward(path, "an object with percent, starts_at and ends_at")
    discount = Discount(
        _fraction(value.get("percent"), f"{path}.percent", Fraction(100)),
        fields.instant(value.get("starts_at"), f"{path}.starts_at"),
        fields.instant(value.get("ends_at"), f"{path}.ends_at"),
    )
    if discount.starts_at and discount.ends_at and discount.ends_at <= discount.starts_at:
        raise InvalidReward(f"{path}.ends_at", "must be after starts_at")
    return discount


def _prizes(value: Any, kind: str) -> tuple[Prize, ...]:
    if kind != "lottery":
        if value is not None:
            raise InvalidReward("prizes", "only for a lottery")
        return ()
    prizes = []
    for i, spec in enumerate(fields.array(value, "prizes")):
        if not isinstance(spec, Mapping) or set(spec) != {"name", "weight"}:
            raise InvalidReward(f"prizes[{i}]", "an object with a name and a weight")
        prizes.append(
            Prize(
                fields.name(spec["name"], f"prizes[{i}].name", 200),
                fields.integer(spec["weight"], f"prizes[{i}].weight", 1),
            )
        )
    if not prizes:
        raise InvalidReward("prizes", "a lottery needs at least one prize")
    return tuple(prizes)


def _codes(value: Any, kind: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if kind != "coupon":
        raise InvalidReward("codes", "only for a coupon")
    codes = tuple(fields.name(c, f"codes[{i}]", 200) for i, c in enumerate(fields.array(value, "codes")))
    if not codes or len(set(codes)) != len(codes):
        raise InvalidReward("codes", "a non-empty list of distinct codes")
    return codes
