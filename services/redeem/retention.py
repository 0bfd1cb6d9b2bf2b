"""How long, and how many, handled ids a customer's account remembers, so its state stays bounded. Pure.

An account recognises a duplicate command by its event id, a duplicate credit by its entry id, and
a reused redemption id. Remembering every one for ever would grow a customer's state without bound
(10,000 rejected redemptions, a credit a day for years), so each is kept for a window of event time:

- Command ids (applied or refused), earn's entry ids and rejected redemption ids: `duplicates` (30
  days) after their event time. The account's horizon only moves forward; a command dated before it
  is refused (dead-lettered), since whether it repeats one forgotten can no longer be told: a
  duplicate never debits twice. A credit older than the horizon is applied (it is a fact of the
  ledger, whose entries earn never repeats).
- Refused commands and rejected redemption ids: besides, at most `refusals` of each (oldest dropped
  first). A duplicate of one dropped is decided again: it debited nothing the first time.
- Approved redemptions: `redemptions` (400 days) after their approval, so they can be cancelled and
  their id is not taken again; after that a cancellation is refused (`unknown_redemption`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from services import limits

if TYPE_CHECKING:
    from services.redeem.account import Account, Redemption

T = TypeVar("T")
TRANSFERS_KEPT = timedelta(days=2)
"""Transfer times remembered per sender, for the per-day limit in any time zone (the latest
`limits.TRANSFERS_PER_DAY` of them: no shop's limit is higher)."""


@dataclass(frozen=True)
class Retention:
    duplicates: timedelta = timedelta(days=30)
    redemptions: timedelta = timedelta(days=400)
    refusals: int = 500


RETENTION = Retention()


def pruned(a: Account, retention: Retention, touched: str | None = None) -> Account:
    """The account without what no rule needs any more, as of its clock. The redemption an event is about
    is kept, so the rest of its decision's events apply to it (a cancellation restores, then reverses)."""
    if a.clock is None:
        return a
    start = horizon(a.forgotten_before, a.clock, retention)
    cancellable = a.clock - retention.redemptions

    def kept(key: str, redemption: Redemption) -> bool:
        return key == touched or redemption.approved_at is None or redemption.approved_at >= cancellable

    redemptions = a.redemptions
    if not all(kept(k, r) for k, r in redemptions.items()):
        redemptions = {k: r for k, r in redemptions.items() if kept(k, r)}
    units = a.approved_units
    return replace(
        a,
        seen=since(a.seen, start),
        refused=latest(since(a.refused, start), retention.refusals),
        rejected_redemptions=latest(since(a.rejected_redemptions, start), retention.refusals),
        entries=since(a.entries, start),
        redemptions=redemptions,
        approved_units=units if all(units.values()) else {k: n for k, n in units.items() if n},
        transfers=tuple(t for t in a.transfers if t > a.clock - TRANSFERS_KEPT)[-limits.TRANSFERS_PER_DAY :],
        forgotten_before=start,
    )


def upgraded(account: Account) -> Account:
    """An account stored before its ids had times: each takes the account's clock, so it is kept a window more."""
    at = account.clock or datetime(2000, 1, 1, tzinfo=UTC)

    def dated(ids: Mapping[str, datetime | None]) -> dict[str, datetime]:
        return {key: when or at for key, when in ids.items()}

    return replace(
        account,
        seen=dated(account.seen), refused=dated(account.refused), entries=dated(account.entries),
        rejected_redemptions=dated(account.rejected_redemptions),
        redemptions={k: r if r.approved_at else replace(r, approved_at=at) for k, r in account.redemptions.items()},
    )  # fmt: skip


def horizon(previous: datetime | None, clock: datetime, retention: Retention) -> datetime:
    """Ids of events before the horizon are forgotten; it never moves back (a shorter window later included)."""
    moved = clock - retention.duplicates
    return moved if previous is None else max(previous, moved)


def since(ids: Mapping[str, datetime], start: datetime) -> Mapping[str, datetime]:
    """The ids of events at or after `start`, in their order (the same mapping when none is older)."""
    if all(at >= start for at in ids.values()):
        return ids
    return {key: at for key, at in ids.items() if at >= start}


def latest(ids: Mapping[str, T], most: int) -> Mapping[str, T]:
    """The `most` ids added last (a mapping keeps the order ids were added in)."""
    if len(ids) <= most:
        return ids
    return dict(list(ids.items())[-most:])
