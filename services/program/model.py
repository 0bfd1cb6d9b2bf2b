"""A shop's program as the services apply it: frozen values, and the one set of defaults. Pure.

The field defaults below ARE the built-in program (version 0, README: The loyalty program): the
parser takes each setting a document leaves out from `Program()`, and README's example of the
defaults is checked against it. The sections follow the document: earning (points per unit,
multipliers, campaigns, bonuses, caps, tasks, the circuit breaker), tiers (thresholds, multipliers,
the qualifying window), lots (the return window, their lifetime, negative clawbacks) and
redemption (balance thresholds, transfer limits); the time zone is the whole program's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

WindowMode = Literal["rolling", "calendar_year"]
WINDOW_MODES: tuple[WindowMode, ...] = ("rolling", "calendar_year")


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
    """Qualifying points that reach this tier."""
    multiplier: Fraction = Fraction(1)
    """Of the points its members earn on orders."""


@dataclass(frozen=True)
class TierWindow:
    """Which earned points qualify for a tier: those of the last `days` (rolling) or of the calendar year."""

    mode: WindowMode = "rolling"
    days: int = 365
    """Length of a rolling window; unused by calendar_year."""
    grace_days: int = 0
    """How long a customer keeps a tier the window no longer holds."""


@dataclass(frozen=True)
class CircuitBreaker:
    max_points_per_hour: int | None = None
    """Per shop; None means no limit."""
    hold: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class Transfers:
    """A shop's limits on transfers between customers; None is unlimited."""

    max_points: int | None = None
    max_per_day: int | None = None


DEFAULT_TIERS = (
    Tier("member", 0, Fraction(1)),
    Tier("silver", 1_000, Fraction(3, 2)),
    Tier("gold", 5_000, Fraction(2)),
    Tier("diamond", 20_000, Fraction(5, 2)),
)
DEFAULT_TASKS: Mapping[str, TaskRule] = {
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
class Program:
    version: int = 0
    timezone: str = "UTC"
    # earning
    points_per_unit: Fraction = Fraction(1)
    category_multipliers: Mapping[str, Fraction] = field(default_factory=dict)
    sku_multipliers: Mapping[str, Fraction] = field(default_factory=dict)
    campaigns: tuple[Campaign, ...] = (MEMBER_DAY,)
    spend_bonuses: tuple[SpendBonus, ...] = ()
    first_order_bonus: int = 0
    daily_cap: int | None = None
    tasks: Mapping[str, TaskRule] = field(default_factory=lambda: dict(DEFAULT_TASKS))
    circuit_breaker: CircuitBreaker = CircuitBreaker()
    # tiers
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    """Lowest first; the first has threshold 0 and thresholds increase."""
    tier_window: TierWindow = TierWindow()
    # lots
    return_window: timedelta = timedelta(0)
    lot_lifetime: timedelta = timedelta(days=365)
    clawback_may_go_negative: bool = False
    # redemption
    balance_thresholds: tuple[int, ...] = ()
    """Balances whose crossing triggers a notification."""
    transfers: Transfers = Transfers()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def tier_multiplier(self, tier: str) -> Fraction:
        return self._tier_multipliers.get(tier, ONE)

    @cached_property
    def _tier_multipliers(self) -> dict[str, Fraction]:
        """Asked for every order: a lookup, not a scan of the tiers."""
        return {t.name: t.multiplier for t in self.tiers}


ONE = Fraction(1)
DEFAULT = Program()
"""The built-in program: what a shop that never configured one runs (version 0)."""
