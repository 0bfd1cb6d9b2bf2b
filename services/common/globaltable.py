"""A whole compacted topic kept in memory by every instance of a service: how each service holds the
versioned documents the gateway publishes (every shop's program versions, every reward's latest).

What each table keeps of a record is its own (`services.common.programs`, `services.redeem.rewards`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from services.common import kafka
from services.common.codec import Codec, Decoded, DecodeError
from services.common.topics import Topic

log = logging.getLogger(__name__)


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
