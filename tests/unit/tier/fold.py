"""Folds one customer's ledger entries the way the processor does, without Kafka.

Before each entry, every downgrade that fell due by the entry's event time is evaluated as of its
due moment (the sweep); then the entry is folded in and evaluated at its event time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from services.tier.domain import (
    DEFAULT_RULES,
    CustomerTier,
    LedgerEntry,
    TierChanged,
    TierRules,
    evaluate,
    evaluate_due,
    evaluation_after,
    evolve,
)

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MS = timedelta(milliseconds=1)


def earned(points: int, at: datetime = T0, entry_id: str | None = None, qualifying: bool = True) -> LedgerEntry:
    entry_id = entry_id or f"earned-{points}-{at.isoformat()}"
    return LedgerEntry(entry_id, "shop", "c-1", at, "earned", points, qualifying)


def clawed(
    points: int, at: datetime = T0, of: str | None = None, entry_id: str | None = None, qualifying: bool = True
) -> LedgerEntry:
    entry_id = entry_id or f"clawed-{points}-{at.isoformat()}-{of}"
    return LedgerEntry(entry_id, "shop", "c-1", at, "clawed_back", points, qualifying, of)


def fold(
    entries: Iterable[LedgerEntry], rules: TierRules = DEFAULT_RULES, until: datetime | None = None
) -> tuple[CustomerTier, list[TierChanged]]:
    state, changes = CustomerTier(), []
    stream_time: datetime | None = None
    for entry in entries:
        stream_time = entry.occurred_at if stream_time is None else max(stream_time, entry.occurred_at)
        state, made = evaluate_due(state, "shop", "c-1", stream_time, lambda _: rules)
        changes += made
        applied = evolve(state, entry)
        if applied is not state:
            state, made = evaluate(evaluation_after(entry, applied), applied, rules)
            changes += made
            state, made = evaluate_due(state, "shop", "c-1", stream_time, lambda _: rules)
            changes += made
    if until is not None:
        state, made = evaluate_due(state, "shop", "c-1", until, lambda _: rules)
        changes += made
    return state, changes


def moves(changes: list[TierChanged]) -> list[tuple[str, str, str]]:
    return [(c.from_tier, c.to_tier, c.reason) for c in changes]
