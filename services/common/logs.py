"""Structured JSON logs, one object per line; a line about an event names it (`about`)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import Message

from services.common.settings import settings


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def about(msg: Message, record: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`extra=` for a line about one event: where it is, its customer key and, once decoded, its event id."""
    fields: dict[str, Any] = {
        "topic": msg.topic(),
        "partition": msg.partition(),
        "offset": msg.offset(),
        "customer_key": (msg.key() or b"").decode("utf-8", "replace"),
    }
    return {"fields": fields | event_ids(record or {})}


def about_entry(shop_id: str, customer_id: str, **ids: Any) -> dict[str, Any]:
    """`extra=` for a line about a decoded record that is no longer beside its Kafka message."""
    return {"fields": {"customer_key": f"{shop_id}:{customer_id}"} | ids}


def event_ids(record: Mapping[str, Any]) -> dict[str, Any]:
    """The ids a record carries that name an event: its own and, for a ledger entry, the one it came from."""
    return {name: record[name] for name in ("event_id", "entry_id", "source_event_id") if record.get(name)}


def configure_logging(service: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    logging.basicConfig(level=settings().log_level.upper(), handlers=[handler], force=True)
