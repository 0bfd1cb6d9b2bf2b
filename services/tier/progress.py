"""A customer's progress towards the next tier, as `GET /v1/customers/{id}/tier` shows it. Pure.

For a reader of the ledger (the gateway): give it the customer's current tier (the last
TierChanged's `to_tier`) and ledger entries, and it counts them as the tier service does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.tier.domain import CustomerTier, LedgerEntry, evolve, qualifying_points
from services.tier.ladder import TierRules


@dataclass(frozen=True)
class Standing:
    tier: str
    qualifying_points: int
    window_days: int
    next_tier: str | None
    points_to_next: int | None


def standing(tier: str, entries: Iterable[LedgerEntry], now: datetime, rules: TierRules) -> Standing:
    """Progress from the customer's tier and ledger entries (in any order; all, or those since the window start)."""
    state = CustomerTier()
    for entry in sorted(entries, key=lambda e: (e.occurred_at, e.kind != "earned")):
        state = evolve(state, entry)
    points = qualifying_points(state.entries, now, rules)
    current = rules.find(tier) or rules.tier_for(points)
    following = rules.above(current)
    to_next = None if following is None else max(0, following.threshold - points)
    next_tier = None if following is None else following.name
    return Standing(current.name, points, rules.window_days(now), next_tier, to_next)
