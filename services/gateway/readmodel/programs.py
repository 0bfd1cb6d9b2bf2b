"""A shop's program versions as the gateway keeps them (from `loyalty.programs`). Pure.

The gateway is the programs topic's only writer: a new version is the latest plus one, and it takes
effect no earlier than when it is configured, so a replay of the logs picks the same versions.
Times are kept at the millisecond, as the Avro record carries them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.program import Program, parse_program


@dataclass(frozen=True)
class ProgramVersion:
    shop_id: str
    version: int
    effective_from: datetime
    configured_at: datetime
    actor: str
    rules: Mapping[str, Any]
    """The document as configured; what a shop left out takes its default in `program`."""

    @property
    def program(self) -> Program:
        """The version as the services apply it (the gateway validated it with the same parser)."""
        return parse_program(self.rules, self.version)


@dataclass(frozen=True)
class ProgramRecord:
    """A version as read from the programs topic, at its position."""

    version: ProgramVersion
    partition: int
    offset: int


def to_millis(when: datetime) -> datetime:
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def effective_from(now: datetime, requested: datetime | None) -> datetime:
    """Never in the past: a version asked for an earlier time takes effect now."""
    return to_millis(max(now, requested) if requested is not None else now)


def next_version(latest: int | None) -> int:
    """Version 0 is the built-in defaults; the first configured version is 1."""
    return (latest or 0) + 1


def last_of_each(records: Iterable[ProgramRecord]) -> list[ProgramVersion]:
    """One version per (shop, version number), the last in log order: what compaction keeps."""
    return list({(r.version.shop_id, r.version.version): r.version for r in records}.values())
