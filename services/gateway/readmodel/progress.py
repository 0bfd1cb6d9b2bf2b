"""Tier progress: qualifying points inside the shop's window, and what the next tier needs. Pure.

The thresholds, the window and the time zone come from the shop's program document
(`tiers`, `tier_window`, `timezone`); anything missing takes the default (DESIGN §5). The document
was validated when it was configured, so a value of the wrong type here falls back to the default
rather than failing a read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Threshold:
    tier: str
    points: int


@dataclass(frozen=True)
class TierWindow:
    mode: str = "rolling"
    """`rolling` (the last `days` days) or `calendar_year` (since 1 January in the shop's time zone)."""
    days: int = 365
    grace_days: int = 0


@dataclass(frozen=True)
class TierProgram:
    thresholds: tuple[Threshold, ...]
    window: TierWindow = TierWindow()
    timezone: str = "UTC"


DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("member", 0), Threshold("silver", 1_000), Threshold("gold", 5_000), Threshold("diamond", 20_000),
)  # fmt: skip
DEFAULT = TierProgram(DEFAULT_THRESHOLDS)


def tier_program(rules: Mapping[str, Any]) -> TierProgram:
    tiers = rules.get("tiers")
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    if isinstance(tiers, list) and tiers and all(_is_tier(t) for t in tiers):
        thresholds = tuple(sorted((Threshold(t["name"], t["threshold"]) for t in tiers), key=lambda t: t.points))
    spec = rules.get("tier_window")
    spec = spec if isinstance(spec, Mapping) else {}
    mode = spec["mode"] if spec.get("mode") in ("rolling", "calendar_year") else "rolling"
    window = TierWindow(mode, _count(spec.get("days"), 365, minimum=1), _count(spec.get("grace_days"), 0))
    timezone = rules.get("timezone")
    return TierProgram(thresholds, window, timezone if isinstance(timezone, str) and _zone(timezone) else "UTC")


def window_start(program: TierProgram, now: datetime) -> datetime:
    """Qualifying activity counts from this instant on."""
    if program.window.mode == "calendar_year":
        zone = _zone(program.timezone) or ZoneInfo("UTC")
        return datetime(now.astimezone(zone).year, 1, 1, tzinfo=zone)
    return now - timedelta(days=program.window.days)


def window_days(program: TierProgram, now: datetime) -> int:
    """The window's length in days: `days` when rolling, the length of the current year otherwise."""
    if program.window.mode == "calendar_year":
        start = window_start(program, now)
        return (start.replace(year=start.year + 1) - start).days
    return program.window.days


@dataclass(frozen=True)
class TierProgress:
    tier: str
    qualifying_points: int
    next_tier: str | None
    points_to_next: int


def progress(program: TierProgram, tier: str, qualifying_sum: int) -> TierProgress:
    """`qualifying_sum` is earned minus clawed back inside the window; it counts as 0 below 0.

    The next tier is the one above the customer's tier; a tier the program no longer has is
    placed by the qualifying points.
    """
    qualifying = max(0, qualifying_sum)
    names = [t.tier for t in program.thresholds]
    if tier in names:
        index = names.index(tier)
    else:
        index = max((i for i, t in enumerate(program.thresholds) if t.points <= qualifying), default=-1)
    if index + 1 >= len(program.thresholds):
        return TierProgress(tier, qualifying, None, 0)
    following = program.thresholds[index + 1]
    return TierProgress(tier, qualifying, following.tier, max(0, following.points - qualifying))


def _is_tier(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("name"), str)
        and isinstance(value.get("threshold"), int)
        and not isinstance(value.get("threshold"), bool)
    )


def _count(value: Any, default: int, minimum: int = 0) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    return default


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
