"""Every shop's program versions, read from the compacted `loyalty.programs` topic (a global table).

Each service that applies rules keeps the whole table: it is small (a few versions per shop) and
every partition's customers may belong to any shop. An event uses the version in effect at its
event time: the one with the latest `effective_from` at or before `occurred_at`. The gateway never
publishes a version effective in the past, so a replay of the logs picks the same versions.
Each version is read once, when it arrives, by the one parser (`services.program`); a version that
does not parse (the gateway refuses such a document, so only a hand-written record can be one) is
logged and skipped, so every service applies the same versions.
"""

from __future__ import annotations

import bisect
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from confluent_kafka import Consumer

from services.common import topics
from services.common.codec import Codec
from services.common.globaltable import GlobalTable
from services.program import DEFAULT, Program, parse_program

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgramVersion:
    shop_id: str
    effective_from: datetime
    program: Program

    @property
    def version(self) -> int:
        return self.program.version


@dataclass
class ProgramBook:
    """The versions of every shop's program, ordered by when they take effect. Pure."""

    _shops: dict[str, list[ProgramVersion]] = field(default_factory=dict)

    def add(self, version: ProgramVersion) -> None:
        versions = [v for v in self._shops.get(version.shop_id, []) if v.version != version.version]
        versions.append(version)
        versions.sort(key=lambda v: (v.effective_from, v.version))
        self._shops[version.shop_id] = versions

    def at(self, shop_id: str, when: datetime) -> Program:
        """The program in effect for `shop_id` at event time `when`; the built-in one (version 0) before any."""
        versions = self._shops.get(shop_id, [])
        i = bisect.bisect_right([v.effective_from for v in versions], when)
        return versions[i - 1].program if i else DEFAULT


def from_record(record: dict[str, Any]) -> ProgramVersion:
    """The version a `ProgramConfigured` record carries; raises `ProgramError` (a ValueError) if it does not parse."""
    program = parse_program(json.loads(record["rules"]), record["version"])
    return ProgramVersion(record["shop_id"], record["effective_from"], program)


class ProgramTable(GlobalTable):
    """Every shop's program versions, from `loyalty.programs`."""

    def __init__(self, consumer: Consumer | None = None, codec: Codec | None = None) -> None:
        self.book = ProgramBook()
        super().__init__(topics.PROGRAMS, lambda decoded: self.book.add(from_record(decoded.record)), consumer, codec)

    def catch_up(self, timeout_s: float = 60.0) -> None:
        super().catch_up(timeout_s)
        log.info("programs: %d shops configured", len(self.book._shops))
