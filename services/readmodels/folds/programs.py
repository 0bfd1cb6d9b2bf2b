"""A shop's program versions as the gateway keeps them (from `loyalty.programs`). Pure.

Numbered and read back like every versioned document (`versions`); a version takes effect no
earlier than when it is configured, so a replay of the logs picks the same versions, and the
compacted topic (key `{shop}:{version}`) keeps every version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.program import Program, parse_program
from services.readmodels.folds.versions import Positioned, next_version, to_millis

__all__ = ["ProgramRecord", "ProgramVersion", "effective_from", "last_of_each", "next_version", "to_millis"]


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


ProgramRecord = Positioned[ProgramVersion]


def effective_from(now: datetime, requested: datetime | None) -> datetime:
    """Never in the past: a version asked for an earlier time takes effect now."""
    return to_millis(max(now, requested) if requested is not None else now)


def last_of_each(records: Iterable[ProgramRecord]) -> list[ProgramVersion]:
    """One version per (shop, version number), the last in log order: what compaction keeps."""
    return list({(r.version.shop_id, r.version.version): r.version for r in records}.values())
