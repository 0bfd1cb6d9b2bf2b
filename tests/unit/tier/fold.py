"""One customer's ledger entries through the tier decider, as the processor hands them to it, without Kafka.

Before each entry, every downgrade that fell due by stream time (the latest event time so far) is
evaluated as of its due moment (the sweep); then the entry is folded in and evaluated at its event time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from services.records import TierChanged
from services.tier import decider
from services.tier.domain import CustomerTier, LedgerEntry
from services.tier.ladder import DEFAULT_RULES, TierRules

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
    context = decider.Context(lambda _: rules)
    state, changes = decider.initial_state, []
    stream_time: datetime | None = None
    for entry in entries:
        stream_time = decider.stream_time_after(stream_time, entry.occurred_at)
        for command in (
            decider.DowngradesDue("shop", "c-1", stream_time),
            decider.EntryLogged(entry, stream_time),
        ):
            state, events = decider.handle(command, state, context)
            changes += decider.changes(events)
    if until is not None:
        state, events = decider.handle(decider.DowngradesDue("shop", "c-1", until), state, context)
        changes += decider.changes(events)
    return state, changes


def moves(changes: list[TierChanged]) -> list[tuple[str, str, str]]:
    return [(c.from_tier, c.to_tier, c.reason) for c in changes]
