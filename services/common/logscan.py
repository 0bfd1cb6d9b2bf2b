"""Reading a set of Kafka partitions up to the end offsets they had when the scan started.

The operator's commands (rebuild, dead-letter replay, inspect) read a bounded stretch of a log:
from the beginning or from a group's committed offsets, up to the end captured at the start, so
records appended meanwhile are left to the live consumers. A partition is done once the consumer's
position reaches its end or it reports the end of the partition (read_committed stops at the last
stable offset: records of a transaction still open at the start are left out too).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException, Message, TopicPartition

from services.common import kafka

log = logging.getLogger(__name__)


@dataclass
class Span:
    topic: str
    partition: int
    start: int
    end: int
    reached: int = 0
    """The next offset the scan will read (`start` until it read something)."""

    @property
    def done(self) -> bool:
        return self.reached >= self.end

    @property
    def covered(self) -> int:
        return min(self.reached, self.end) - self.start


def scan_consumer(group: str) -> Consumer:
    """A consumer that assigns partitions itself (it never joins `group`) and reports partition ends."""
    return kafka.consumer(group, **{"enable.partition.eof": True})


def spans(consumer: Consumer, partitions: Sequence[tuple[str, int]], committed: bool = False) -> list[Span]:
    """Each partition from its first offset (or the group's committed offset) to its current end."""
    wanted = [TopicPartition(t, p) for t, p in partitions]
    starts = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(wanted, timeout=15)} if committed else {}
    found = []
    for tp in wanted:
        low, high = watermarks(consumer, tp)
        start = starts.get((tp.topic, tp.partition), OFFSET_INVALID)
        start = low if start < 0 else max(start, low)
        found.append(Span(tp.topic, tp.partition, start, high, reached=start))
    return found


def watermarks(consumer: Consumer, tp: TopicPartition, attempts: int = 20) -> tuple[int, int]:
    """(first, end) offsets; a partition just created may have no leader for a moment."""
    for _ in range(attempts - 1):
        try:
            return _watermarks(consumer, tp)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.NOT_LEADER_FOR_PARTITION and not exc.args[0].retriable():
                raise
            time.sleep(0.25)
    return _watermarks(consumer, tp)


def _watermarks(consumer: Consumer, tp: TopicPartition) -> tuple[int, int]:
    low, high = consumer.get_watermark_offsets(tp, timeout=15)
    return int(low), int(high)


def topic_partitions(consumer: Consumer, topics: Sequence[str]) -> list[tuple[str, int]]:
    metadata = consumer.list_topics(timeout=15).topics
    missing = [t for t in topics if t not in metadata]
    if missing:
        raise RuntimeError(f"no topic {', '.join(missing)}: run `pointstream topics create` (or check TOPIC_NAMESPACE)")
    return [(t, p) for t in topics for p in sorted(metadata[t].partitions)]


def batches(
    consumer: Consumer, found: Sequence[Span], size: int = 1000, wait_s: float = 0.2
) -> Iterator[list[Message]]:
    """Assigns the spans and yields what they hold, batch by batch, until every span is done.

    A batch may be empty (only partition ends or control records): the spans still advance.
    """
    by_partition = {(s.topic, s.partition): s for s in found}
    todo = [s for s in found if not s.done]
    if not todo:
        return
    consumer.assign([TopicPartition(s.topic, s.partition, s.start) for s in todo])
    while any(not s.done for s in todo):
        batch = []
        for msg in consumer.consume(size, wait_s):
            span = by_partition[(msg.topic() or "", msg.partition() or 0)]
            if (error := msg.error()) is not None:
                _partition_end(error, span)
            elif (offset := msg.offset() or 0) < span.end:
                span.reached = max(span.reached, offset + 1)
                batch.append(msg)
            else:
                span.reached = span.end
        _advance(consumer, [s for s in todo if not s.done])
        yield batch
    consumer.unassign()


def _partition_end(error: KafkaError, span: Span) -> None:
    if error.code() == KafkaError._PARTITION_EOF:
        span.reached = span.end
    elif error.fatal():
        raise KafkaException(error)
    else:  # transient (a broker reconnecting): the client retries by itself
        log.warning("reading %s[%d]: %s", span.topic, span.partition, error)


def _advance(consumer: Consumer, open_spans: Sequence[Span]) -> None:
    """The position moves past transaction markers, which are never delivered as messages."""
    if not open_spans:
        return
    positions = consumer.position([TopicPartition(s.topic, s.partition) for s in open_spans])
    for span, tp in zip(open_spans, positions, strict=True):
        if tp.offset >= 0:
            span.reached = max(span.reached, tp.offset)
