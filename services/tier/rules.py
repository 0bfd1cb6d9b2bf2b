"""A shop's tier program: tiers and thresholds, the qualifying window, the grace period. Pure.

Read from the `tiers`, `tier_window` and `timezone` keys of the program document; a missing key
takes its default (member 0, silver 1,000, gold 5,000, diamond 20,000; a rolling 365-day window;
no grace; UTC). Multipliers in the same document belong to earning and are not read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Mode = Literal["rolling", "calendar_year"]
MODES: tuple[Mode, ...] = ("rolling", "calendar_year")


class InvalidTierRules(ValueError):
    """The tier part of a program document is wrong; `path` names the offending value."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: int
    """Qualifying points that reach this tier."""


DEFAULT_TIERS = (Tier("member", 0), Tier("silver", 1_000), Tier("gold", 5_000), Tier("diamond", 20_000))


@dataclass(frozen=True)
class TierRules:
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    """Lowest first; the first has threshold 0 and thresholds increase."""
    mode: Mode = "rolling"
    days: int = 365
    """Length of a rolling window; unused by calendar_year."""
    grace_days: int = 0
    timezone: str = "UTC"
    """Where a calendar year begins and ends."""

    @property
    def base(self) -> Tier:
        return self.tiers[0]

    @property
    def grace(self) -> timedelta:
        return timedelta(days=self.grace_days)

    def find(self, name: str) -> Tier | None:
        return next((t for t in self.tiers if t.name == name), None)

    def rank(self, tier: Tier) -> int:
        return self.tiers.index(tier)

    def tier_for(self, points: int) -> Tier:
        """The highest tier whose threshold the points reach."""
        return [t for t in self.tiers if t.threshold <= points][-1] if points > 0 else self.base

    def above(self, tier: Tier) -> Tier | None:
        rank = self.rank(tier)
        return self.tiers[rank + 1] if rank + 1 < len(self.tiers) else None

    def exits_at(self, occurred_at: datetime) -> datetime:
        """When points earned at `occurred_at` stop qualifying: the window has moved past them."""
        if self.mode == "rolling":
            return occurred_at + timedelta(days=self.days)
        year = occurred_at.astimezone(ZoneInfo(self.timezone)).year
        return datetime(year + 1, 1, 1, tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    def window_start(self, now: datetime) -> datetime:
        """Points earned after this moment (rolling) or from it on (calendar year) qualify at `now`."""
        if self.mode == "rolling":
            return now - timedelta(days=self.days)
        year = now.astimezone(ZoneInfo(self.timezone)).year
        return datetime(year, 1, 1, tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    def window_days(self, now: datetime) -> int:
        """Length of the window in force at `now`: the rolling days, or the days of the calendar year."""
        if self.mode == "rolling":
            return self.days
        return (self.exits_at(now) - self.window_start(now)).days


DEFAULT_RULES = TierRules()


def rules_from(document: Mapping[str, Any]) -> TierRules:
    """The tier rules of a program document; raises `InvalidTierRules` with the path of what is wrong."""
    if not isinstance(document, Mapping):
        raise InvalidTierRules("", "the program must be a JSON object")
    window = document.get("tier_window", {})
    if not isinstance(window, Mapping):
        raise InvalidTierRules("tier_window", "must be an object")
    mode = window.get("mode", "rolling")
    if mode not in MODES:
        raise InvalidTierRules("tier_window.mode", f"must be one of {', '.join(MODES)}, not {mode!r}")
    return TierRules(
        tiers=_tiers(document.get("tiers", None)),
        mode=mode,
        days=_integer(window.get("days", 365), "tier_window.days", minimum=1),
        grace_days=_integer(window.get("grace_days", 0), "tier_window.grace_days", minimum=0),
        timezone=_timezone(document.get("timezone", "UTC")),
    )


def _tiers(raw: Any) -> tuple[Tier, ...]:
    if raw is None:
        return DEFAULT_TIERS
    if not isinstance(raw, list) or not raw:
        raise InvalidTierRules("tiers", "must be a non-empty list")
    tiers: list[Tier] = []
    for i, item in enumerate(raw):
        path = f"tiers[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidTierRules(path, "must be an object with a name and a threshold")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidTierRules(f"{path}.name", "must be a non-empty string")
        if any(t.name == name for t in tiers):
            raise InvalidTierRules(f"{path}.name", f"{name!r} is named twice")
        threshold = _integer(item.get("threshold"), f"{path}.threshold", minimum=0)
        if not tiers and threshold != 0:
            raise InvalidTierRules(f"{path}.threshold", "the first tier's threshold must be 0")
        if tiers and threshold <= tiers[-1].threshold:
            raise InvalidTierRules(f"{path}.threshold", f"must be above {tiers[-1].threshold} (thresholds increase)")
        tiers.append(Tier(name, threshold))
    return tuple(tiers)


def _integer(raw: Any, path: str, minimum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidTierRules(path, f"must be a whole number, not {raw!r}")
    if raw < minimum:
        raise InvalidTierRules(path, f"must be at least {minimum}, not {raw}")
    return raw


def _timezone(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidTierRules("timezone", f"must be an IANA time zone name, not {raw!r}")
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTierRules("timezone", f"{raw!r} is not an IANA time zone") from None
    return raw
