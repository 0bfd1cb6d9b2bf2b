"""`pointstream replay-dlq`: dead letters re-submitted to their source topic once their cause is fixed.

Each dead letter (`loyalty.dlq`, `dlq.dead_letter`) goes back as it came: its original key and
bytes, to the partition it was read from. What was re-sent and how far the replay read are one
Kafka transaction (the records and the replay group's offsets), so a second run re-sends nothing
the first one sent, even after a crash. The group is the replay's cursor: `dlq-replay` without
filters, and one group per filter (`--topic`, `--reason`), since letters a filter passes over stay
to be replayed by another. Replays under two different filters may both send a letter that matches
both: the processors ignore the second copy by its event id.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from confluent_kafka import Consumer, Message, Producer, TopicPartition
from tqdm import tqdm

from services.common import kafka, logscan, topics
from services.common.codec import Codec, DecodeError
from services.common.settings import settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Letter:
    partition: int
    """Where the letter is on loyalty.dlq."""
    offset: int
    source_topic: str
    source_partition: int
    source_offset: int
    key: bytes | None
    value: bytes | None
    reason: str
    service: str
    failed_at: datetime

    def describe(self) -> str:
        key = self.key.decode(errors="replace") if self.key is not None else "-"
        return (f"dlq[{self.partition}]@{self.offset} -> {self.source_topic}[{self.source_partition}] "
                f"(was @{self.source_offset}) key={key} service={self.service} reason={self.reason}")  # fmt: skip


@dataclass(frozen=True)
class Filter:
    topic: str | None = None
    reason: str | None = None

    def __call__(self, letter: Letter) -> bool:
        wanted = self.topic is None or letter.source_topic in (self.topic, settings().topic_namespace + self.topic)
        return wanted and (self.reason is None or self.reason in letter.reason)

    def group(self) -> str:
        base = settings().topic_namespace + "dlq-replay"
        if self.topic is None and self.reason is None:
            return base
        digest = hashlib.sha256(repr((self.topic, self.reason)).encode()).hexdigest()[:12]
        return f"{base}.{digest}"


@dataclass(frozen=True)
class Replayed:
    sent: int
    passed_over: int
    """Letters the filter left alone (or without a value to send)."""
    group: str


def letter(codec: Codec, msg: Message) -> Letter:
    r = codec.decode(msg.value()).record
    return Letter(msg.partition() or 0, msg.offset() or 0, r["source_topic"], r["source_partition"],
                  r["source_offset"], r["original_key"], r["original_value"], r["reason"], r["service"],
                  r["failed_at"])  # fmt: skip


def replay(
    wanted: Filter, *, dry_run: bool = False, limit: int | None = None, show: Callable[[str], None] = print,
    progress: bool = True,
) -> Replayed:  # fmt: skip
    """Re-sends the letters `wanted` selects after the group's offsets, up to the end of loyalty.dlq now."""
    group = wanted.group()
    consumer = logscan.scan_consumer(group)
    producer = None if dry_run else kafka.producer(transactional_id=group)
    if producer is not None:
        producer.init_transactions(30)
    sent = passed = 0
    try:
        found = logscan.spans(consumer, logscan.topic_partitions(consumer, [topics.DLQ.name]), committed=True)
        with tqdm(total=sum(s.end - s.start for s in found), unit="letter", desc="replay-dlq",
                  disable=not progress, dynamic_ncols=True) as bar:  # fmt: skip
            for batch in _letters(consumer, found, Codec()):
                chosen, examined = _take(batch, wanted, None if limit is None else limit - sent)
                for item in chosen:
                    show(("would send " if dry_run else "sent ") + item.describe())
                if producer is not None:
                    _send(producer, consumer, chosen, {item.partition: item.offset + 1 for item in examined})
                sent, passed = sent + len(chosen), passed + len(examined) - len(chosen)
                bar.update(sum(s.covered for s in found) - bar.n)
                if limit is not None and sent >= limit:
                    break
    finally:
        consumer.close()
    return Replayed(sent, passed, group)


def _letters(consumer: Consumer, found: list[logscan.Span], codec: Codec) -> Iterator[list[Letter]]:
    for batch in logscan.batches(consumer, found, size=500):
        yield [item for msg in batch if (item := _decoded(codec, msg)) is not None]


def _decoded(codec: Codec, msg: Message) -> Letter | None:
    try:
        return letter(codec, msg)
    except (DecodeError, KeyError) as exc:  # not a DeadLetter: nothing to re-send
        log.warning("dlq[%s]@%s is not a dead letter: %s", msg.partition(), msg.offset(), exc)
        return None


def _take(batch: list[Letter], wanted: Filter, room: int | None) -> tuple[list[Letter], list[Letter]]:
    """The letters to send and every letter examined, in log order, up to the limit: the cursor moves past
    the examined ones only, so a letter left after the limit is still there for the next run."""
    chosen: list[Letter] = []
    examined: list[Letter] = []
    for item in batch:
        if room is not None and len(chosen) >= room:
            break
        examined.append(item)
        if wanted(item) and item.value is not None:
            chosen.append(item)
    return chosen, examined


def _send(producer: Producer, consumer: Consumer, chosen: list[Letter], offsets: dict[int, int]) -> None:
    if not offsets:
        return
    producer.begin_transaction()
    for item in chosen:
        producer.produce(item.source_topic, item.value, item.key, partition=item.source_partition)
    moved = [TopicPartition(topics.DLQ.name, p, o) for p, o in sorted(offsets.items())]
    producer.send_offsets_to_transaction(moved, consumer.consumer_group_metadata(), 30)
    producer.commit_transaction(60)
