"""Hypothesis strategies for program documents a shop may PUT: every setting optional, every value valid."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from services.program.render import decimal

names = st.text("abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=12)
tz = st.sampled_from(["UTC", "Europe/Paris", "Asia/Shanghai", "America/New_York", "Pacific/Chatham"])


def fractions(low: int, high: int) -> st.SearchStrategy[Any]:
    """An integer or a decimal string of at most 4 places, from `low` to `high`."""
    exact = st.integers(low * 10_000, high * 10_000).map(lambda n: decimal(Fraction(n, 10_000)))
    return st.one_of(st.integers(low, high), exact)


instants = st.datetimes(datetime(2000, 1, 2), datetime(2199, 12, 30), timezones=st.just(UTC))


@st.composite
def windows(draw: st.DrawFn) -> dict[str, Any]:
    start, end = sorted(draw(st.lists(instants, min_size=2, max_size=2, unique=True)))
    keep = draw(st.sampled_from(["none", "start", "end", "both"]))
    window: dict[str, Any] = {}
    if keep in ("start", "both"):
        window["starts_at"] = start.isoformat()
    if keep in ("end", "both"):
        window["ends_at"] = end.isoformat().replace("+00:00", "Z")
    return window


counts = st.integers(0, 1_000)
segments = st.fixed_dictionaries(
    {},
    optional={
        "tiers": st.lists(names, max_size=3),
        "tags": st.lists(names, max_size=3),
        "min_orders": counts,
        "max_orders": st.one_of(st.none(), counts),
        "min_days_since_last_order": counts,
        "max_days_since_last_order": counts,
        "birthday_month": st.booleans(),
    },
)
targeting = {"segment": st.one_of(st.none(), segments), "customers": st.lists(names, max_size=3)}


@st.composite
def campaigns(draw: st.DrawFn) -> dict[str, Any]:
    campaign = draw(
        st.fixed_dictionaries(
            {"name": names, "multiplier": fractions(1, 10)},
            optional={"days_of_month": st.one_of(st.none(), st.lists(st.integers(1, 31), max_size=5)), **targeting},
        )
    )
    return campaign | draw(windows())


@st.composite
def spend_bonuses(draw: st.DrawFn) -> dict[str, Any]:
    bonus = draw(
        st.fixed_dictionaries(
            {"name": names, "min_amount": fractions(0, 10_000), "points": st.integers(0, 10_000)}, optional=targeting
        )
    )
    return bonus | draw(windows())


@st.composite
def tiers(draw: st.DrawFn) -> list[dict[str, Any]]:
    tier_names = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    steps = draw(st.lists(st.integers(1, 10_000), min_size=len(tier_names) - 1, max_size=len(tier_names) - 1))
    thresholds = [0]
    for step in steps:
        thresholds.append(thresholds[-1] + step)
    return [
        {"name": name, "threshold": threshold}
        | draw(st.fixed_dictionaries({}, optional={"multiplier": fractions(1, 5)}))
        for name, threshold in zip(tier_names, thresholds, strict=True)
    ]


limit = st.one_of(st.none(), st.integers(1, 10_000))
tasks = st.dictionaries(
    st.one_of(names, st.sampled_from(["signup", "review", "share", "birthday"])),
    st.fixed_dictionaries({"points": st.integers(0, 500)}, optional={"per_day": limit, "per_year": limit}),
    max_size=4,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "timezone": tz,
        "points_per_unit": fractions(1, 100),
        "category_multipliers": st.dictionaries(names, fractions(0, 10), max_size=3),
        "sku_multipliers": st.dictionaries(names, fractions(0, 10), max_size=3),
        "tiers": tiers(),
        "tier_window": st.fixed_dictionaries(
            {},
            optional={
                "mode": st.sampled_from(["rolling", "calendar_year"]),
                "days": st.integers(1, 3_660),
                "grace_days": st.integers(0, 400),
            },
        ),
        "campaigns": st.lists(campaigns(), max_size=3),
        "spend_bonuses": st.lists(spend_bonuses(), max_size=2),
        "first_order_bonus": st.integers(0, 10_000),
        "daily_cap": limit,
        "return_window_days": st.integers(0, 400),
        "lot_lifetime_days": st.integers(1, 4_000),
        "tasks": tasks,
        "clawback_may_go_negative": st.booleans(),
        "circuit_breaker": st.fixed_dictionaries(
            {}, optional={"max_points_per_hour": limit, "hold_days": st.integers(0, 30)}
        ),
        "balance_thresholds": st.lists(st.integers(1, 100_000), max_size=4),
        "transfers": st.fixed_dictionaries(
            {}, optional={"max_points": limit, "max_per_day": st.one_of(st.none(), st.integers(1, 1_000))}
        ),
    },
)
"""Valid program documents, from `{}` to every setting."""

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=8,
)
"""Anything JSON may carry."""
