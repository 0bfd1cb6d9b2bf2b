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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from services.common import kafka, topics
from services.common.codec import Codec, Decoded, DecodeError
from services.common.topics import Topic
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


class GlobalTable:
    """A whole compacted topic kept in memory by every instance (like Kafka Streams' GlobalKTable):
    caught up before the first batch, refreshed between batches without blocking. Each readable
    record is handed to `apply`; one that cannot be read is logged and skipped (its writer, the
    gateway, validated it)."""

    def __init__(
        self,
        topic: Topic,
        apply: Callable[[Decoded], None],
        consumer: Consumer | None = None,
        codec: Codec | None = None,
    ) -> None:
        self.topic = topic
        self._apply = apply
        self._consumer = consumer or kafka.consumer(None)
        self._codec = codec or Codec()
        self._assigned = False

    def catch_up(self, timeout_s: float = 60.0) -> None:
        started = time.monotonic()
        ends = self._assign()
        while any(self._position(tp) < end for tp, end in ends.items()):
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"{self.topic.name} not read within {timeout_s} s")
            self.refresh(0.2)

    def refresh(self, timeout_s: float = 0.0) -> None:
        if not self._assigned:
            self._assign()
        for msg in self._consumer.consume(500, timeout_s):
            if msg.error() or msg.value() is None:
                continue
            try:
                self._apply(self._codec.decode(msg.value()))
            except (DecodeError, KeyError, ValueError) as exc:
                log.error("unreadable record at %s[%d]@%d: %s", msg.topic(), msg.partition(), msg.offset(), exc)

    def _assign(self) -> dict[TopicPartition, int]:
        name = self.topic.name
        metadata = self._consumer.list_topics(name, timeout=10).topics[name]
        partitions = [TopicPartition(name, p, OFFSET_BEGINNING) for p in sorted(metadata.partitions)]
        if not self._assigned:
            self._consumer.assign(partitions)
            self._assigned = True
        return {
            TopicPartition(name, tp.partition): int(self._consumer.get_watermark_offsets(tp, timeout=10)[1])
            for tp in partitions
        }

    def _position(self, tp: TopicPartition) -> int:
        [pos] = self._consumer.position([tp])
        return pos.offset if pos.offset >= 0 else 0


class ProgramTable(GlobalTable):
    """Every shop's program versions, from `loyalty.programs`."""

    def __init__(self, consumer: Consumer | None = None, codec: Codec | None = None) -> None:
        self.book = ProgramBook()
        super().__init__(topics.PROGRAMS, lambda decoded: self.book.add(from_record(decoded.record)), consumer, codec)

    def catch_up(self, timeout_s: float = 60.0) -> None:
        super().catch_up(timeout_s)
        log.info("programs: %d shops configured", len(self.book._shops))
