"""Reading a shop's program document (README: The loyalty program) into a `Program`. Pure.

Numbers that multiply are decimal strings ("1.5") or integers, read as exact fractions; points and
money are integers. A document replaces the whole program; a setting left out (at any depth) takes
its value from `DEFAULT`, so `parse_program({})` is the built-in program (version 0). The first
setting at fault is refused with a `ProgramError` naming its path (`campaigns[0].multiplier`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services import fields, limits
from services.program.model import (
    DEFAULT,
    DEFAULT_TASKS,
    WINDOW_MODES,
    Campaign,
    CircuitBreaker,
    Program,
    Segment,
    SpendBonus,
    TaskRule,
    Tier,
    TierWindow,
    Transfers,
    Window,
)

T = TypeVar("T")


class ProgramError(fields.InvalidField):
    """A program document refused: `path` names the setting at fault, `message` says why."""


KNOWN = {
    "timezone", "points_per_unit", "category_multipliers", "sku_multipliers", "tiers", "tier_window",
    "campaigns", "spend_bonuses", "first_order_bonus", "daily_cap", "return_window_days",
    "lot_lifetime_days", "tasks", "clawback_may_go_negative", "circuit_breaker",
    "balance_thresholds", "transfers",
}  # fmt: skip


@fields.refusals_as(ProgramError)
def parse_program(document: Mapping[str, Any], version: int = 0) -> Program:
    """The program a document describes; raises ProgramError naming the first setting at fault."""
    if not isinstance(document, Mapping):
        raise ProgramError("$", "the program is a JSON object")
    unknown = sorted(set(document) - KNOWN)
    if unknown:
        raise ProgramError(unknown[0], f"unknown setting (known: {', '.join(sorted(KNOWN))})")

    def setting(key: str, read: Callable[[Any, str], T], default: T) -> T:
        return read(document[key], key) if key in document else default

    d = DEFAULT
    return Program(
        version=version,
        timezone=setting("timezone", _timezone, d.timezone),
        points_per_unit=setting("points_per_unit", _positive, d.points_per_unit),
        category_multipliers=setting("category_multipliers", _category_multipliers, d.category_multipliers),
        sku_multipliers=setting("sku_multipliers", _sku_multipliers, d.sku_multipliers),
        tiers=setting("tiers", _tiers, d.tiers),
        tier_window=setting("tier_window", _tier_window, d.tier_window),
        campaigns=setting("campaigns", _campaigns, d.campaigns),
        spend_bonuses=setting("spend_bonuses", _spend_bonuses, d.spend_bonuses),
        first_order_bonus=setting("first_order_bonus", fields.integer, d.first_order_bonus),
        daily_cap=setting("daily_cap", _limit, d.daily_cap),
        return_window=setting("return_window_days", _days, d.return_window),
        lot_lifetime=setting("lot_lifetime_days", _lifetime, d.lot_lifetime),
        tasks=setting("tasks", _tasks, d.tasks),
        clawback_may_go_negative=setting("clawback_may_go_negative", fields.boolean, d.clawback_may_go_negative),
        circuit_breaker=setting("circuit_breaker", _breaker, d.circuit_breaker),
        balance_thresholds=setting("balance_thresholds", _thresholds, d.balance_thresholds),
        transfers=setting("transfers", _transfers, d.transfers),
    )


DECIMAL = re.compile(r"-?\d{1,14}(\.\d{1,4})?")
"""Plain decimals only: an exponent such as 1e-10000000 would make Fraction expand it."""


def _fraction(value: Any, path: str, positive: bool = False, at_most: int = limits.MULTIPLIER) -> Fraction:
    """A multiplier (or points per unit, an amount) of at most 4 decimal places, from 0 to `at_most`."""
    number = fields.decimal(value, path, DECIMAL, "1.5")
    if number < 0 or (positive and number == 0):
        raise ProgramError(path, "must be positive" if positive else "must not be negative")
    if number.denominator > 10_000:
        raise ProgramError(path, "at most 4 decimal places")
    if number > at_most:
        raise ProgramError(path, f"at most {at_most:,}")
    return number


def _positive(value: Any, path: str) -> Fraction:
    return _fraction(value, path, positive=True)


def _limit(value: Any, path: str) -> int | None:
    return fields.optional_integer(value, path, minimum=1)


def _day_count(value: Any, path: str, minimum: int = 0) -> int:
    return fields.integer(value, path, minimum, maximum=limits.DAYS)


def _days(value: Any, path: str, minimum: int = 0) -> timedelta:
    return timedelta(days=_day_count(value, path, minimum))


def _lifetime(value: Any, path: str) -> timedelta:
    return _days(value, path, minimum=1)


def _object(value: Any, path: str, known: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProgramError(path, "an object")
    for key in value:
        if key not in known:
            raise ProgramError(f"{path}.{key}", f"unknown setting (known: {', '.join(sorted(known))})")
    return value


def _timezone(value: Any, path: str) -> str:
    try:
        ZoneInfo(fields.name(value, path, 100))
    except (ZoneInfoNotFoundError, ValueError):
        raise ProgramError(path, f"{value!r} is not an IANA time zone such as Europe/Paris") from None
    return str(value)


def _window(spec: Mapping[str, Any], path: str) -> Window:
    window = Window(
        fields.instant(spec.get("starts_at"), f"{path}.starts_at"),
        fields.instant(spec.get("ends_at"), f"{path}.ends_at"),
    )
    if window.starts_at and window.ends_at and window.ends_at <= window.starts_at:
        raise ProgramError(f"{path}.ends_at", "must be after starts_at")
    return window


def _multipliers(value: Any, path: str, longest: int) -> dict[str, Fraction]:
    value = fields.entries(value, path, "name -> multiplier")
    return {fields.name(k, path, longest): _fraction(v, f"{path}.{k}") for k, v in value.items()}


def _category_multipliers(value: Any, path: str) -> dict[str, Fraction]:
    return _multipliers(value, path, limits.TEXT["lines.category"])


def _sku_multipliers(value: Any, path: str) -> dict[str, Fraction]:
    return _multipliers(value, path, limits.TEXT["lines.sku"])


def _tiers(value: Any, path: str) -> tuple[Tier, ...]:
    tiers = []
    for i, spec in enumerate(fields.array(value, path, limits.TIERS)):
        at = f"{path}[{i}]"
        spec = _object(spec, at, {"name", "threshold", "multiplier"})
        tiers.append(
            Tier(
                fields.name(spec.get("name"), f"{at}.name", limits.TEXT["tier"]),
                fields.integer(spec.get("threshold"), f"{at}.threshold"),
                _positive(spec["multiplier"], f"{at}.multiplier") if "multiplier" in spec else Tier.multiplier,
            )
        )
    if not tiers or tiers[0].threshold != 0:
        raise ProgramError(f"{path}[0].threshold", "the first tier starts at 0")
    for i, (low, high) in enumerate(pairwise(tiers), start=1):
        if high.threshold <= low.threshold:
            raise ProgramError(f"{path}[{i}].threshold", "thresholds must increase")
    if len({t.name for t in tiers}) != len(tiers):
        raise ProgramError(path, "tier names must be unique")
    return tuple(tiers)


def _tier_window(value: Any, path: str) -> TierWindow:
    spec, d = _object(value, path, {"mode", "days", "grace_days"}), DEFAULT.tier_window
    mode = spec.get("mode", d.mode)
    if mode not in WINDOW_MODES:
        raise ProgramError(f"{path}.mode", " or ".join(WINDOW_MODES))
    return TierWindow(
        mode=mode,
        days=fields.integer(spec.get("days", d.days), f"{path}.days", 1, limits.TIER_WINDOW_DAYS),
        grace_days=_day_count(spec.get("grace_days", d.grace_days), f"{path}.grace_days"),
    )


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

    def count(key: str) -> int | None:
        return fields.optional_integer(spec.get(key), f"{path}.{key}")

    return Segment(
        tiers=names("tiers"),
        tags=names("tags"),
        min_orders=count("min_orders"),
        max_orders=count("max_orders"),
        min_days_since_last_order=count("min_days_since_last_order"),
        max_days_since_last_order=count("max_days_since_last_order"),
        birthday_month=fields.boolean(spec.get("birthday_month", False), f"{path}.birthday_month"),
    )


def _customers(value: Any, path: str) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(
        fields.name(c, f"{path}[{i}]", limits.CUSTOMER_ID) for i, c in enumerate(fields.array(value, path))
    )


TARGETING = {"starts_at", "ends_at", "segment", "customers"}


def _campaigns(value: Any, path: str) -> tuple[Campaign, ...]:
    return tuple(_campaign(c, f"{path}[{i}]") for i, c in enumerate(fields.array(value, path)))


def _campaign(value: Any, path: str) -> Campaign:
    spec = _object(value, path, {"name", "multiplier", "days_of_month"} | TARGETING)
    days = None
    if spec.get("days_of_month") is not None:
        days = frozenset(
            fields.integer(d, f"{path}.days_of_month[{i}]", minimum=1)
            for i, d in enumerate(fields.array(spec["days_of_month"], f"{path}.days_of_month"))
        )
        if any(d > 31 for d in days):
            raise ProgramError(f"{path}.days_of_month", "days are 1 to 31")
    return Campaign(
        name=fields.name(spec.get("name"), f"{path}.name", 100),
        multiplier=_positive(spec.get("multiplier"), f"{path}.multiplier"),
        window=_window(spec, path),
        days_of_month=days,
        segment=_segment(spec.get("segment"), f"{path}.segment"),
        customers=_customers(spec.get("customers"), f"{path}.customers"),
    )


def _spend_bonuses(value: Any, path: str) -> tuple[SpendBonus, ...]:
    return tuple(_spend_bonus(b, f"{path}[{i}]") for i, b in enumerate(fields.array(value, path)))


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
    spec, d = _object(value, path, {"max_points_per_hour", "hold_days"}), DEFAULT.circuit_breaker
    return CircuitBreaker(
        _limit(spec.get("max_points_per_hour", d.max_points_per_hour), f"{path}.max_points_per_hour"),
        _days(spec.get("hold_days", d.hold.days), f"{path}.hold_days"),
    )


def _thresholds(value: Any, path: str) -> tuple[int, ...]:
    return tuple(
        fields.integer(t, f"{path}[{i}]", minimum=1) for i, t in enumerate(fields.array(value, path, limits.THRESHOLDS))
    )


def _transfers(value: Any, path: str) -> Transfers:
    spec, d = _object(value, path, {"max_points", "max_per_day"}), DEFAULT.transfers
    return Transfers(
        _limit(spec.get("max_points", d.max_points), f"{path}.max_points"),
        fields.optional_integer(
            spec.get("max_per_day", d.max_per_day), f"{path}.max_per_day", 1, limits.TRANSFERS_PER_DAY
        ),
    )
