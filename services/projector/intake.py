"""What the projector takes of a batch of Kafka messages: each topic's records, decoded and read.

A record that does not decode, that does not belong on its topic, or that its reader cannot read
(decoded, yet not what the contract says) is counted as `undecodable`, logged and skipped; a
record the read models do not take (the reader answers None, e.g. an expiry tick) as `ignored`.
The partitions' next offsets cover every message either way, so the projector moves past them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import Message
from prometheus_client import Counter

from services.common import logs
from services.common.codec import Codec, Decoded, DecodeError
from services.projector.transaction import Consumed, Positioned

log = logging.getLogger(__name__)
RECORDS = Counter("pointstream_projector_records_total", "Records of the projected logs by outcome", ["outcome"])
R = TypeVar("R", bound=Positioned)
Reader = Callable[[Decoded, int, int], R | None]


class Intake:
    def __init__(self, codec: Codec, record_types: dict[str, tuple[str, ...]]) -> None:
        self.codec, self.record_types = codec, record_types

    def consumed(self, topic: str, batch: list[Message], read: Reader[R]) -> Consumed[R]:
        of = [m for m in batch if m.topic() == topic]
        records = [r for m in of if (d := self._decoded(m)) is not None and (r := self._read(read, d, m)) is not None]
        return Consumed(topic, records, {m.partition() or 0: (m.offset() or 0) + 1 for m in of})

    def _read(self, read: Reader[R], decoded: Decoded, msg: Message) -> R | None:
        try:
            record = read(decoded, msg.partition() or 0, msg.offset() or 0)
        except (KeyError, TypeError, ValueError) as exc:
            RECORDS.labels("undecodable").inc()
            log.error("%s at %s[%d]@%d unreadable: %r", decoded.name, msg.topic(), msg.partition(), msg.offset(), exc,
                      extra=logs.about(msg, decoded.record))  # fmt: skip
            return None
        if record is None:
            RECORDS.labels("ignored").inc()
        return record

    def _decoded(self, msg: Message) -> Decoded | None:
        where = f"{msg.topic()}[{msg.partition()}]@{msg.offset()}"
        try:
            decoded = self.codec.decode(msg.value())
        except DecodeError as exc:
            RECORDS.labels("undecodable").inc()
            log.error("undecodable record at %s skipped: %s", where, exc, extra=logs.about(msg))
            return None
        if decoded.name not in self.record_types.get(msg.topic() or "", ()):
            RECORDS.labels("undecodable").inc()
            log.error("%s does not belong on %s; skipped at %s", decoded.name, msg.topic(), where,
                      extra=logs.about(msg, decoded.record))  # fmt: skip
            return None
        return decoded
