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
