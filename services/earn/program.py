"""A shop's earning program (README: The loyalty program), read from its JSON document. Pure.

Numbers that multiply are decimal strings ("1.5") or integers, read as exact fractions; points and
money are integers. A document replaces the whole program; a key left out takes its default, so
`parse({})` is the built-in program (version 0). `InvalidProgram.path` names the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services import fields, limits


class InvalidProgram(fields.InvalidField):
    pass


@dataclass(frozen=True)
class Segment:
    """Who a campaign targets; every condition given must hold (an empty segment is everyone)."""

    tiers: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    """Any of these tags."""
    min_orders: int | None = None
    max_orders: int | None = None
    min_days_since_last_order: int | None = None
    max_days_since_last_order: int | None = None
    birthday_month: bool = False


@dataclass(frozen=True)
class Window:
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def contains(self, when: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= when) and (self.ends_at is None or when < self.ends_at)


@dataclass(frozen=True)
class Campaign:
    name: str
    multiplier: Fraction
    window: Window = Window()
    days_of_month: frozenset[int] | None = None
    """In the shop's time zone; None means every day."""
    segment: Segment = Segment()
    customers: frozenset[str] | None = None
    """A personal offer: only these customers."""


@dataclass(frozen=True)
class SpendBonus:
    name: str
    min_amount: Fraction
    """In whole currency units of the order."""
    points: int
    window: Window = Window()
    segment: Segment = Segment()
    customers: frozenset[str] | None = None


@dataclass(frozen=True)
class TaskRule:
    points: int
    per_day: int | None = None
    per_year: int | None = None


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: int
    multiplier: Fraction


DEFAULT_TIERS = (
    Tier("member", 0, Fraction(1)),
    Tier("silver", 1_000, Fraction(3, 2)),
    Tier("gold", 5_000, Fraction(2)),
    Tier("diamond", 20_000, Fraction(5, 2)),
)
DEFAULT_TASKS = {
    "signup": TaskRule(50),
    "profile_completed": TaskRule(20),
    "review": TaskRule(10),
    "share": TaskRule(10, per_day=5),
    "survey": TaskRule(20),
    "referral_purchase": TaskRule(50),
    "birthday": TaskRule(100, per_year=1),
}
MEMBER_DAY = Campaign("member-day", Fraction(2), days_of_month=frozenset({10}))


@dataclass(frozen=True)
class CircuitBreaker:
    max_points_per_hour: int | None = None
    """Per shop; None means no limit."""
    hold: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class Program:
    version: int = 0
    timezone: str = "UTC"
    points_per_unit: Fraction = Fraction(1)
    category_multipliers: Mapping[str, Fraction] = field(default_factory=dict)
    sku_multipliers: Mapping[str, Fraction] = field(default_factory=dict)
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    campaigns: tuple[Campaign, ...] = (MEMBER_DAY,)
    spend_bonuses: tuple[SpendBonus, ...] = ()
    first_order_bonus: int = 0
    daily_cap: int | None = None
    return_window: timedelta = timedelta(0)
    lot_lifetime: timedelta = timedelta(days=365)
    tasks: Mapping[str, TaskRule] = field(default_factory=lambda: dict(DEFAULT_TASKS))
    clawback_may_go_negative: bool = False
    circuit_breaker: CircuitBreaker = CircuitBreaker()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def tier_multiplier(self, tier: str) -> Fraction:
        return next((t.multiplier for t in self.tiers if t.name == tier), Fraction(1))


KNOWN = {
    "timezone", "points_per_unit", "category_multipliers", "sku_multipliers", "tiers", "tier_window",
    "campaigns", "spend_bonuses", "first_order_bonus", "daily_cap", "return_window_days",
    "lot_lifetime_days", "tasks", "clawback_may_go_negative", "circuit_breaker",
    "balance_thresholds", "transfers",  # the redeem service's part of the program
}  # fmt: skip


@fields.refusals_as(InvalidProgram)
def parse(document: Mapping[str, Any], version: int = 0) -> Program:
    """The program a rules document describes; raises InvalidProgram naming the first bad field."""
    if not isinstance(document, Mapping):
        raise InvalidProgram("$", "the program is a JSON object")
    unknown = sorted(set(document) - KNOWN)
    if unknown:
        raise InvalidProgram(unknown[0], f"unknown setting (known: {', '.join(sorted(KNOWN))})")
    d = Program()
    get = document.get
    tiers = _tiers(get("tiers"), "tiers") if "tiers" in document else d.tiers
    _tier_window(get("tier_window", {}), "tier_window")
    _redeem_settings(document)
    return Program(
        version=version,
        timezone=_timezone(get("timezone", d.timezone), "timezone"),
        points_per_unit=_fraction(get("points_per_unit", 1), "points_per_unit", positive=True),
        category_multipliers=_multipliers(
            get("category_multipliers", {}), "category_multipliers", limits.TEXT["lines.category"]
        ),
        sku_multipliers=_multipliers(get("sku_multipliers", {}), "sku_multipliers", limits.TEXT["lines.sku"]),
        tiers=tiers,
        campaigns=(
            tuple(_campaign(c, f"campaigns[{i}]") for i, c in enumerate(fields.array(get("campaigns"), "campaigns")))
            if "campaigns" in document
            else d.campaigns
        ),
        spend_bonuses=tuple(
            _spend_bonus(b, f"spend_bonuses[{i}]")
            for i, b in enumerate(fields.array(get("spend_bonuses", []), "spend_bonuses"))
        ),
        first_order_bonus=fields.integer(get("first_order_bonus", 0), "first_order_bonus"),
        daily_cap=fields.optional_integer(get("daily_cap"), "daily_cap", minimum=1),
        return_window=timedelta(days=_days(get("return_window_days", 0), "return_window_days")),
        lot_lifetime=timedelta(days=_days(get("lot_lifetime_days", 365), "lot_lifetime_days", minimum=1)),
        tasks=_tasks(get("tasks", {}), "tasks"),
        clawback_may_go_negative=fields.boolean(get("clawback_may_go_negative", False), "clawback_may_go_negative"),
        circuit_breaker=_breaker(get("circuit_breaker", {}), "circuit_breaker"),
    )


DECIMAL = re.compile(r"-?\d{1,14}(\.\d{1,4})?")
"""Plain decimals only: an exponent such as 1e-10000000 would make Fraction expand it."""


def _fraction(value: Any, path: str, positive: bool = False, at_most: int = limits.MULTIPLIER) -> Fraction:
    """A multiplier (or points per unit, an amount) of at most 4 decimal places, from 0 to `at_most`."""
    number = fields.decimal(value, path, DECIMAL, "1.5")
    if number < 0 or (positive and number == 0):
        raise InvalidProgram(path, "must be positive" if positive else "must not be negative")
    if number.denominator > 10_000:
        raise InvalidProgram(path, "at most 4 decimal places")
    if number > at_most:
        raise InvalidProgram(path, f"at most {at_most:,}")
    return number


def _days(value: Any, path: str, minimum: int = 0) -> int:
    return fields.integer(value, path, minimum, maximum=limits.DAYS)


def _object(value: Any, path: str, known: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidProgram(path, "an object")
    for key in value:
        if key not in known:
            raise InvalidProgram(f"{path}.{key}", f"unknown setting (known: {', '.join(sorted(known))})")
    return value


def _timezone(value: Any, path: str) -> str:
    try:
        ZoneInfo(fields.name(value, path, 100))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidProgram(path, f"{value!r} is not an IANA time zone such as Europe/Paris") from None
    return str(value)


def _window(spec: Mapping[str, Any], path: str) -> Window:
    window = Window(
        fields.instant(spec.get("starts_at"), f"{path}.starts_at"),
        fields.instant(spec.get("ends_at"), f"{path}.ends_at"),
    )
    if window.starts_at and window.ends_at and window.ends_at <= window.starts_at:
        raise InvalidProgram(f"{path}.ends_at", "must be after starts_at")
    return window


def _multipliers(value: Any, path: str, longest: int) -> dict[str, Fraction]:
    value = fields.entries(value, path, "name -> multiplier")
    return {fields.name(k, path, longest): _fraction(v, f"{path}.{k}") for k, v in value.items()}


def _tiers(value: Any, path: str) -> tuple[Tier, ...]:
    tiers = []
    for i, spec in enumerate(fields.array(value, path, limits.TIERS)):
        at = f"{path}[{i}]"
        spec = _object(spec, at, {"name", "threshold", "multiplier"})
        tiers.append(
            Tier(
                fields.name(spec.get("name"), f"{at}.name", limits.TEXT["tier"]),
                fields.integer(spec.get("threshold"), f"{at}.threshold"),
                _fraction(spec.get("multiplier", 1), f"{at}.multiplier", positive=True),
            )
        )
    if not tiers or tiers[0].threshold != 0:
        raise InvalidProgram(f"{path}[0].threshold", "the first tier starts at 0")
    for i, (low, high) in enumerate(pairwise(tiers), start=1):
        if high.threshold <= low.threshold:
            raise InvalidProgram(f"{path}[{i}].threshold", "thresholds must increase")
    if len({t.name for t in tiers}) != len(tiers):
        raise InvalidProgram(path, "tier names must be unique")
    return tuple(tiers)


def _tier_window(value: Any, path: str) -> None:
    spec = _object(value, path, {"mode", "days", "grace_days"})
    if spec.get("mode", "rolling") not in ("rolling", "calendar_year"):
        raise InvalidProgram(f"{path}.mode", "rolling or calendar_year")
    fields.integer(spec.get("days", 365), f"{path}.days", 1, limits.TIER_WINDOW_DAYS)
    _days(spec.get("grace_days", 0), f"{path}.grace_days")


def _segment(value: Any, path: str) -> Segment:
    if value is None:
        return Segment()
    spec = _object(
        value,
        path,
        {"tiers", "tags", "min_orders", "max_orders", "min_days_since_last_order", "max_days_since_last_order",
         "birthday_month"},
    )  # fmt: skip

    def names(key: str) -> frozenset[str] | None:
        if key not in spec:
            return None
        return frozenset(
            fields.name(n, f"{path}.{key}[{i}]", 100) for i, n in enumerate(fields.array(spec[key], f"{path}.{key}"))
        )

    return Segment(
        tiers=names("tiers"),
        tags=names("tags"),
        min_orders=fields.optional_integer(spec.get("min_orders"), f"{path}.min_orders"),
        max_orders=fields.optional_integer(spec.get("max_orders"), f"{path}.max_orders"),
        min_days_since_last_order=fields.optional_integer(
            spec.get("min_days_since_last_order"), f"{path}.min_days_since_last_order"
        ),
        max_days_since_last_order=fields.optional_integer(
            spec.get("max_days_since_last_order"), f"{path}.max_days_since_last_order"
        ),
        birthday_month=fields.boolean(spec.get("birthday_month", False), f"{path}.birthday_month"),
    )


def _customers(value: Any, path: str) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(
        fields.name(c, f"{path}[{i}]", limits.CUSTOMER_ID) for i, c in enumerate(fields.array(value, path))
    )


TARGETING = {"starts_at", "ends_at", "segment", "customers"}


def _campaign(value: Any, path: str) -> Campaign:
    spec = _object(value, path, {"name", "multiplier", "days_of_month"} | TARGETING)
    days = None
    if spec.get("days_of_month") is not None:
        days = frozenset(
            fields.integer(d, f"{path}.days_of_month[{i}]", minimum=1)
            for i, d in enumerate(fields.array(spec["days_of_month"], f"{path}.days_of_month"))
        )
        if any(d > 31 for d in days):
            raise InvalidProgram(f"{path}.days_of_month", "days are 1 to 31")
    return Campaign(
        name=fields.name(spec.get("name"), f"{path}.name", 100),
        multiplier=_fraction(spec.get("multiplier"), f"{path}.multiplier", positive=True),
        window=_window(spec, path),
        days_of_month=days,
        segment=_segment(spec.get("segment"), f"{path}.segment"),
        customers=_customers(spec.get("customers"), f"{path}.customers"),
    )


def _spend_bonus(value: Any, path: str) -> SpendBonus:
    spec = _object(value, path, {"name", "min_amount", "points"} | TARGETING)
    return SpendBonus(
        name=fields.name(spec.get("name"), f"{path}.name", 100),
        min_amount=_fraction(spec.get("min_amount"), f"{path}.min_amount", at_most=limits.AMOUNT),
        points=fields.integer(spec.get("points"), f"{path}.points"),
        window=_window(spec, path),
        segment=_segment(spec.get("segment"), f"{path}.segment"),
        customers=_customers(spec.get("customers"), f"{path}.customers"),
    )


def _tasks(value: Any, path: str) -> dict[str, TaskRule]:
    """Shop-defined tasks are added to the defaults; a default task is changed by naming it (points 0 turns it off)."""
    value = fields.entries(value, path, "task name -> {points, per_day?, per_year?}", limits.TASKS)
    tasks = dict(DEFAULT_TASKS)
    for name, spec in value.items():
        at = f"{path}.{fields.name(name, path, limits.TEXT['task'])}"
        spec = _object(spec, at, {"points", "per_day", "per_year"})
        default = DEFAULT_TASKS.get(name)
        points = spec.get("points") if default is None else spec.get("points", default.points)
        default = default or TaskRule(0)
        tasks[name] = TaskRule(  # a limit left out keeps the default task's; null removes it
            fields.integer(points, f"{at}.points"),
            fields.optional_integer(spec.get("per_day", default.per_day), f"{at}.per_day", minimum=1),
            fields.optional_integer(spec.get("per_year", default.per_year), f"{at}.per_year", minimum=1),
        )
    return tasks


def _breaker(value: Any, path: str) -> CircuitBreaker:
    spec = _object(value, path, {"max_points_per_hour", "hold_days"})
    return CircuitBreaker(
        fields.optional_integer(spec.get("max_points_per_hour"), f"{path}.max_points_per_hour", minimum=1),
        timedelta(days=_days(spec.get("hold_days", 7), f"{path}.hold_days")),
    )


def _redeem_settings(document: Mapping[str, Any]) -> None:
    """The redeem service's settings, checked here so a program is refused whole or accepted whole."""
    thresholds = fields.array(document.get("balance_thresholds", []), "balance_thresholds", limits.THRESHOLDS)
    for i, threshold in enumerate(thresholds):
        fields.integer(threshold, f"balance_thresholds[{i}]", minimum=1)
    spec = _object(document.get("transfers", {}), "transfers", {"max_points", "max_per_day"})
    fields.optional_integer(spec.get("max_points"), "transfers.max_points", minimum=1)
    fields.optional_integer(spec.get("max_per_day"), "transfers.max_per_day", 1, limits.TRANSFERS_PER_DAY)
