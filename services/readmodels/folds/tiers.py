"""Each customer's tier, folded from `loyalty.tiers` (the tier service decides; this only records). Pure.

A `TierChanged` to the tier the customer already holds is a repeat, not a change: it keeps the
`since` of the change that made the tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.readmodels.folds.ledger import CustomerKey

DEFAULT_TIER = "member"


@dataclass(frozen=True)
class TierChange:
    shop_id: str
    customer_id: str
    occurred_at: datetime
    from_tier: str
    to_tier: str
    reason: str
    qualifying_points: int
    partition: int
    offset: int

    @property
    def customer(self) -> CustomerKey:
        return (self.shop_id, self.customer_id)


@dataclass(frozen=True)
class TierState:
    tier: str
    since: datetime
    qualifying_points: int
    """Qualifying points when the tier service made the change."""
    from_tier: str
    reason: str


def evolve(state: TierState | None, change: TierChange) -> TierState:
    if state is not None and state.tier == change.to_tier:
        return state
    return TierState(change.to_tier, change.occurred_at, change.qualifying_points, change.from_tier, change.reason)


def project(current: Mapping[CustomerKey, TierState], changes: Iterable[TierChange]) -> dict[CustomerKey, TierState]:
    """Folds changes in log order onto `current`; returns the states of the customers they touched."""
    states, touched = dict(current), {}
    for change in changes:
        states[change.customer] = touched[change.customer] = evolve(states.get(change.customer), change)
    return touched
