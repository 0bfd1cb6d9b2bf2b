"""The dead-letter path shared by every service: the original bytes, where they came from, why.

A dead letter must always be writable, so it is bounded: a reason is cut to `REASON_CHARS`, and when
the original key and value would not fit in the broker's record limit, what fits is kept and the
reason says how long the original was and its sha256, so it can still be found and matched.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Message

from services.common.topics import DLQ

REASON_CHARS = 2_000
KEY_BYTES = 1_024
FIELDS_BYTES = 2_048
"""Room for the letter's other fields (topic name, offsets, error type, service, time), the notes of what
was cut, and its framing."""


def topic_name() -> str:
    return DLQ.name


def key(msg: Message) -> bytes:
    return (msg.key() or f"{msg.topic()}:{msg.partition()}".encode())[:KEY_BYTES]


def dead_letter(msg: Message, exc: BaseException, service: str, max_bytes: int) -> dict[str, Any]:
    """The DeadLetter record of `msg`, which failed with `exc`, fitted with its key (`key`) in `max_bytes`."""
    reason = str(exc) or type(exc).__name__
    record = {
        "source_topic": msg.topic(),
        "source_partition": msg.partition(),
        "source_offset": msg.offset(),
        "original_key": msg.key(),
        "original_value": msg.value(),
        "reason": reason if len(reason) <= REASON_CHARS else f"{reason[:REASON_CHARS]}… ({len(reason)} characters)",
        "error_type": type(exc).__name__,
        "service": service,
        "failed_at": datetime.now(UTC),
    }
    return fitted(record, max_bytes)


def fitted(record: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Cuts the original key, then the value, to what fits, noting each cut in the reason."""
    # The letter's own Kafka key and its original_key take up to KEY_BYTES each; UTF-8, up to 4 bytes a character.
    room = max_bytes - FIELDS_BYTES - 4 * len(record["reason"]) - 2 * KEY_BYTES
    notes, kept = [], dict(record)
    for field, limit in (("original_key", KEY_BYTES), ("original_value", max(0, room))):
        original: bytes | None = record[field]
        if original is not None and len(original) > limit:
            kept[field] = original[:limit]
            digest = hashlib.sha256(original).hexdigest()
            notes.append(f"{field} truncated to its first {limit} of {len(original)} bytes (sha256 {digest})")
    if notes:
        kept["reason"] = f"{record['reason']} [{'; '.join(notes)}]"
    return kept
