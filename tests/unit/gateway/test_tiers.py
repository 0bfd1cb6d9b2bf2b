"""Tiers in the read model: the fold of TierChanged (progress is the tier service's `standing`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.readmodels.folds.tiers import TierChange, TierState, project

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def change(to_tier: str, at: datetime = NOW, customer: str = "ada", offset: int = 0) -> TierChange:
    return TierChange("shop", customer, at, "member", to_tier, "threshold", 1_200, 0, offset)


def test_a_tier_change_sets_the_tier_since_its_time_with_the_points_it_was_made_at() -> None:
    assert project({}, [change("silver")]) == {("shop", "ada"): TierState("silver", NOW, 1_200, "member", "threshold")}


def test_a_repeated_tier_change_keeps_the_time_the_tier_was_reached() -> None:
    later = NOW + timedelta(days=3)
    [state] = project({}, [change("silver"), change("silver", later), change("gold", later), change("gold")]).values()
    assert (state.tier, state.since) == ("gold", later)


def test_tier_changes_of_other_customers_are_folded_apart() -> None:
    states = project({}, [change("silver", customer="ada"), change("gold", customer="bo")])
    assert {customer: s.tier for (_, customer), s in states.items()} == {"ada": "silver", "bo": "gold"}
