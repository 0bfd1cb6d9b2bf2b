"""A `Program` back as a document, every setting written out: the effective program. Pure.

`parse_program(render_program(p))` is `p` again (with its version given back), so the rendering of
the built-in program is the document of the defaults (README: The loyalty program). Fractions are
written as decimal strings, durations in days, sets as sorted lists.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from services.program.model import (
    DEFAULT_TASKS,
    Campaign,
    Program,
    Segment,
    SpendBonus,
    TaskRule,
    Window,
)

Document = dict[str, Any]


def render_program(program: Program) -> Document:
    """The program's document with every setting, defaults included (the version is not a setting)."""
    p = program
    return {
        "timezone": p.timezone,
        "points_per_unit": decimal(p.points_per_unit),
        "category_multipliers": {name: decimal(m) for name, m in p.category_multipliers.items()},
        "sku_multipliers": {sku: decimal(m) for sku, m in p.sku_multipliers.items()},
        "tiers": [{"name": t.name, "threshold": t.threshold, "multiplier": decimal(t.multiplier)} for t in p.tiers],
        "tier_window": {"mode": p.tier_window.mode, "days": p.tier_window.days, "grace_days": p.tier_window.grace_days},
        "campaigns": [_campaign(c) for c in p.campaigns],
        "spend_bonuses": [_spend_bonus(b) for b in p.spend_bonuses],
        "first_order_bonus": p.first_order_bonus,
        "daily_cap": p.daily_cap,
        "return_window_days": p.return_window.days,
        "lot_lifetime_days": p.lot_lifetime.days,
        "tasks": {name: _task(name, rule) for name, rule in p.tasks.items()},
        "clawback_may_go_negative": p.clawback_may_go_negative,
        "circuit_breaker": {
            "max_points_per_hour": p.circuit_breaker.max_points_per_hour,
            "hold_days": p.circuit_breaker.hold.days,
        },
        "balance_thresholds": list(p.balance_thresholds),
        "transfers": {"max_points": p.transfers.max_points, "max_per_day": p.transfers.max_per_day},
    }


def decimal(value: Fraction) -> str:
    """An exact decimal string of at most 4 places, as the parser reads them."""
    scaled = abs(value) * 10_000
    if scaled.denominator != 1:
        raise ValueError(f"{value} has no decimal of at most 4 places")
    whole, part = divmod(scaled.numerator, 10_000)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}" + (f".{part:04d}".rstrip("0") if part else "")


def _campaign(c: Campaign) -> Document:
    document: Document = {"name": c.name, "multiplier": decimal(c.multiplier)}
    if c.days_of_month is not None:
        document["days_of_month"] = sorted(c.days_of_month)
    return document | _targeting(c.window, c.segment, c.customers)


def _spend_bonus(b: SpendBonus) -> Document:
    document: Document = {"name": b.name, "min_amount": decimal(b.min_amount), "points": b.points}
    return document | _targeting(b.window, b.segment, b.customers)


def _targeting(window: Window, segment: Segment, customers: frozenset[str] | None) -> Document:
    document: Document = {}
    if window.starts_at is not None:
        document["starts_at"] = _instant(window.starts_at)
    if window.ends_at is not None:
        document["ends_at"] = _instant(window.ends_at)
    if segment != Segment():
        document["segment"] = _segment(segment)
    if customers is not None:
        document["customers"] = sorted(customers)
    return document


def _segment(s: Segment) -> Document:
    document: Document = {}
    for key, names in (("tiers", s.tiers), ("tags", s.tags)):
        if names is not None:
            document[key] = sorted(names)
    counts = {
        "min_orders": s.min_orders,
        "max_orders": s.max_orders,
        "min_days_since_last_order": s.min_days_since_last_order,
        "max_days_since_last_order": s.max_days_since_last_order,
    }
    document |= {key: count for key, count in counts.items() if count is not None}
    if s.birthday_month:
        document["birthday_month"] = True
    return document


def _task(name: str, rule: TaskRule) -> Document:
    """A limit is written when set, or as null when the default task of that name has one (null removes it)."""
    default = DEFAULT_TASKS.get(name, TaskRule(0))
    document: Document = {"points": rule.points}
    for key, limit, default_limit in (
        ("per_day", rule.per_day, default.per_day),
        ("per_year", rule.per_year, default.per_year),
    ):
        if limit is not None or default_limit is not None:
            document[key] = limit
    return document


def _instant(when: datetime) -> str:
    return when.isoformat()
