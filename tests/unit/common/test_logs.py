"""Log lines are JSON objects; a line about an event names its event id and customer key."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from confluent_kafka import Message

from services.common import logs


class FakeMessage:
    """The four accessors `logs.about` reads from a consumed record."""

    def __init__(self, key: bytes | None) -> None:
        self._key = key

    def topic(self) -> str:
        return "shop.orders"

    def partition(self) -> int:
        return 2

    def offset(self) -> int:
        return 41

    def key(self) -> bytes | None:
        return self._key


def line(message: str, **extra: Any) -> dict[str, Any]:
    record = logging.LogRecord("earn", logging.WARNING, __file__, 1, message, None, None)
    for name, value in extra.items():
        setattr(record, name, value)
    parsed: dict[str, Any] = orjson.loads(logs.JsonFormatter("earn").format(record))
    return parsed


def message(key: bytes | None) -> Message:
    return FakeMessage(key)  # type: ignore[return-value]


def test_a_line_about_a_decoded_event_carries_its_event_id_customer_key_and_place_in_the_log() -> None:
    parsed = line("dead-lettered", **logs.about(message(b"north:ada"), {"event_id": "e-1", "total_minor": 5}))
    assert parsed["message"] == "dead-lettered"
    assert parsed["service"] == "earn"
    assert parsed["level"] == "warning"
    assert {k: parsed[k] for k in ("event_id", "customer_key", "topic", "partition", "offset")} == {
        "event_id": "e-1", "customer_key": "north:ada", "topic": "shop.orders", "partition": 2, "offset": 41,
    }  # fmt: skip
    assert "total_minor" not in parsed


def test_an_undecodable_event_still_names_its_key_and_a_ledger_entry_its_source_event() -> None:
    assert "event_id" not in line("x", **logs.about(message(b"north:\xff")))
    assert line("x", **logs.about(message(None)))["customer_key"] == ""
    entry = line("x", **logs.about_entry("north", "ada", entry_id="en-1", source_event_id="e-9"))
    assert (entry["customer_key"], entry["entry_id"], entry["source_event_id"]) == ("north:ada", "en-1", "e-9")


def test_a_line_about_nothing_in_particular_is_plain() -> None:
    assert set(line("started")) == {"ts", "level", "service", "logger", "message"}
