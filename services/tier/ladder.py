"""A shop's tier rules: tiers and thresholds, the qualifying window, the grace period. Pure.

The tier service's view of the program (`services.program`): its `tiers`, `tier_window` and
`timezone`, with the window arithmetic. The multipliers belong to earning and are not used here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.program import DEFAULT, Program, Tier, WindowMode

__all__ = ["DEFAULT_RULES", "Tier", "TierRules"]


@dataclass(frozen=True)
class TierRules:
    tiers: tuple[Tier, ...] = DEFAULT.tiers
    """Lowest first; the first has threshold 0 and thresholds increase."""
    mode: WindowMode = DEFAULT.tier_window.mode
    days: int = DEFAULT.tier_window.days
    """Length of a rolling window; unused by calendar_year."""
    grace_days: int = DEFAULT.tier_window.grace_days
    timezone: str = DEFAULT.timezone
    """Where a calendar year begins and ends."""

    @classmethod
    def of(cls, program: Program) -> TierRules:
        window = program.tier_window
        return cls(program.tiers, window.mode, window.days, window.grace_days, program.timezone)

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


DEFAULT_RULES = TierRules.of(DEFAULT)
