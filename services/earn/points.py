"""The arithmetic of the earning rules (README) for one paid order: weights, multipliers, the one rounding, bonuses.

Pure and exact: fractions all the way to the single floor of step 3.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from math import lcm

from services.earn.currencies import minor_unit_exponent
from services.program import Campaign, Program, Segment, SpendBonus, Window

ONE = Fraction(1)


@dataclass(frozen=True)
class Line:
    sku: str
    category: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class Profile:
    """What targeting rules may look at, as it was before the event being decided."""

    customer_id: str
    tier: str = "member"
    tags: frozenset[str] = frozenset()
    orders: int = 0
    last_order_at: datetime | None = None
    birth_month: int | None = None


@dataclass(frozen=True)
class OrderPoints:
    weighted_minor: Fraction
    multipliers: tuple[tuple[str, Fraction], ...]
    base_points: int
    bonuses: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return self.base_points + sum(points for _, points in self.bonuses)


def line_multiplier(line: Line, program: Program) -> Fraction:
    """A SKU's own multiplier wins over its category's; the default is 1."""
    if line.sku in program.sku_multipliers:
        return program.sku_multipliers[line.sku]
    return program.category_multipliers.get(line.category, ONE)


def weighted(total_minor: int, lines: Iterable[Line], program: Program) -> Fraction:
    """Step 1: total_minor x sum(line_amount x multiplier) / sum(line_amount); weight 1 without lines."""
    if not program.sku_multipliers and not program.category_multipliers:
        return Fraction(total_minor)
    paid, numerator, denominator = 0, 0, 1
    for line in lines:  # integer sums over a common denominator: one Fraction at the end
        amount, m = line.unit_price_minor * line.quantity, line_multiplier(line, program)
        paid += amount
        common = lcm(denominator, m.denominator)
        numerator = numerator * (common // denominator) + amount * m.numerator * (common // m.denominator)
        denominator = common
    if paid == 0:
        return Fraction(total_minor)
    return Fraction(total_minor * numerator, paid * denominator)


def minor_units_per_unit(currency: str) -> int:
    """10^e, e being the currency's ISO 4217 minor-unit exponent."""
    exponent = minor_unit_exponent(currency)
    if exponent is None:
        raise ValueError(f"unknown currency {currency!r}")
    scale: int = 10**exponent
    return scale


def in_major_units(minor: Fraction | int, currency: str) -> Fraction:
    return Fraction(minor) / minor_units_per_unit(currency)


def matches(segment: Segment, profile: Profile, when: datetime, program: Program) -> bool:
    if segment.tiers is not None and profile.tier not in segment.tiers:
        return False
    if segment.tags is not None and not segment.tags & profile.tags:
        return False
    if segment.min_orders is not None and profile.orders < segment.min_orders:
        return False
    if segment.max_orders is not None and profile.orders > segment.max_orders:
        return False
    idle = None if profile.last_order_at is None else (when - profile.last_order_at).days
    if segment.min_days_since_last_order is not None and (idle is None or idle < segment.min_days_since_last_order):
        return False  # a win-back targets customers who did order, long enough ago
    if segment.max_days_since_last_order is not None and (idle is None or idle > segment.max_days_since_last_order):
        return False
    return not (segment.birthday_month and profile.birth_month != when.astimezone(program.zone).month)


def targets(
    window: Window,
    segment: Segment,
    customers: frozenset[str] | None,
    profile: Profile,
    when: datetime,
    program: Program,
) -> bool:
    """A campaign or bonus applies: in its window, to its segment, and to its customers if personal."""
    if not window.contains(when):
        return False
    if customers is not None and profile.customer_id not in customers:
        return False
    return matches(segment, profile, when, program)


def campaign_applies(campaign: Campaign, profile: Profile, when: datetime, program: Program) -> bool:
    if campaign.days_of_month is not None and when.astimezone(program.zone).day not in campaign.days_of_month:
        return False
    return targets(campaign.window, campaign.segment, campaign.customers, profile, when, program)


def bonus_applies(bonus: SpendBonus, total_major: Fraction, profile: Profile, when: datetime, program: Program) -> bool:
    return total_major >= bonus.min_amount and targets(
        bonus.window, bonus.segment, bonus.customers, profile, when, program
    )


def order_points(
    total_minor: int, currency: str, lines: Iterable[Line], profile: Profile, when: datetime, program: Program
) -> OrderPoints:
    """Steps 1 to 4 of the earning rules (README; the daily cap, step 5, needs the day's history: see domain)."""
    weight = weighted(total_minor, lines, program)
    multipliers = [(f"tier:{profile.tier}", program.tier_multiplier(profile.tier))]
    multipliers += [
        (f"campaign:{c.name}", c.multiplier) for c in program.campaigns if campaign_applies(c, profile, when, program)
    ]
    # raw x multipliers as one exact quotient of integers, floored once (Fractions would reduce at each step)
    numerator = weight.numerator * program.points_per_unit.numerator
    denominator = weight.denominator * program.points_per_unit.denominator * minor_units_per_unit(currency)
    for _, factor in multipliers:
        numerator *= factor.numerator
        denominator *= factor.denominator
    bonuses = []
    if program.spend_bonuses:
        total_major = in_major_units(total_minor, currency)
        bonuses = [
            (f"spend:{b.name}", b.points)
            for b in program.spend_bonuses
            if bonus_applies(b, total_major, profile, when, program)
        ]
    if program.first_order_bonus and profile.orders == 0:
        bonuses.append(("first_order", program.first_order_bonus))
    return OrderPoints(weight, tuple(multipliers), numerator // denominator, tuple(bonuses))
