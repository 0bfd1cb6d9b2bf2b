"""The dead-letter path shared by every service: the original bytes, where they came from, why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Message

from services.common.topics import DLQ


def topic_name() -> str:
    return DLQ.name


def key(msg: Message) -> bytes:
    return msg.key() or f"{msg.topic()}:{msg.partition()}".encode()


def dead_letter(msg: Message, exc: Exception, service: str) -> dict[str, Any]:
    return {
        "source_topic": msg.topic(),
        "source_partition": msg.partition(),
        "source_offset": msg.offset(),
        "original_key": msg.key(),
        "original_value": msg.value(),
        "reason": str(exc) or type(exc).__name__,
        "error_type": type(exc).__name__,
        "service": service,
        "failed_at": datetime.now(UTC),
    }
