"""Event times as exact integer milliseconds since the epoch, for state kept as bytes (float
timestamps lose a millisecond from 2038 on)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def millis(when: datetime) -> int:
    return (when - EPOCH) // MILLISECOND


def moment(ms: int) -> datetime:
    return EPOCH + ms * MILLISECOND


def no_later_than(when: datetime, logged_at_ms: int | None, tolerance: timedelta) -> datetime:
    """`when`, unless it lies more than `tolerance` past the log's own time of its record (epoch milliseconds):
    then that time plus `tolerance`. The log's time is the same on a replay, so the bound is too."""
    if logged_at_ms is None:
        return when
    return min(when, moment(logged_at_ms) + tolerance)
