"""Threshold triggers: an event each time the available balance crosses a shop-configured value. Pure.

Up means from below the threshold to at or above it; down, the other way. The side last recorded
for each threshold is kept on the account, so each crossing is announced once; a threshold never
recorded starts where every account starts, at 0 (so a threshold added later is announced at the
next change of an account already past it). The balance is read at the change's event time, so
points that became available by then count; time alone, without a change, announces nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from services.redeem.account import Account, evolve
from services.redeem.events import BalanceThresholdCrossed, Event
from services.redeem.retention import RETENTION, Retention


def crossings(
    before: Account, after: Account, thresholds: Iterable[int], when: datetime
) -> list[BalanceThresholdCrossed]:
    at = after.at(when)
    was, now = before.available(at), after.available(at)
    crossed = []
    for threshold in sorted(set(thresholds), reverse=now < was):
        above = now >= threshold
        if before.sides.get(threshold, threshold <= 0) != above:
            crossed.append(
                BalanceThresholdCrossed(
                    shop_id=after.shop_id,
                    customer_id=after.customer_id,
                    occurred_at=at,
                    threshold=threshold,
                    direction="up" if above else "down",
                    available=now,
                )
            )
    return crossed


def with_crossings(
    account: Account,
    events: Sequence[Event],
    thresholds: Iterable[int],
    when: datetime,
    retention: Retention = RETENTION,
) -> tuple[Account, list[Event]]:
    """Folds a decision's events and adds the threshold crossings they make: the account after, all events."""
    if not events:
        return account, []
    after = account
    for event in events:
        after = evolve(after, event, retention)
    crossed = crossings(account, after, thresholds, when)
    for event in crossed:
        after = evolve(after, event, retention)
    return after, [*events, *crossed]
