"""What a shop's versioned documents (its program, each reward) share at the gateway. Pure.

The gateway is the only writer of both topics: a new version is the latest plus one, numbered under
a per-shop advisory lock, stamped at the millisecond the Avro record keeps, and read back by the
projector at its log position. What differs stays with each: a program keeps every
version, and the one in effect at an event time applies (`programs`); a reward keeps its latest,
which applies from then on (`rewards`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class Positioned(Generic[V]):
    """A version as read from its topic, at its position."""

    version: V
    partition: int
    offset: int


def next_version(latest: int | None) -> int:
    """Version 0 is what applies before any is configured; the first configured version is 1."""
    return (latest or 0) + 1


def to_millis(when: datetime) -> datetime:
    return when.replace(microsecond=when.microsecond // 1000 * 1000)
