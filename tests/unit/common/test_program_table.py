"""The programs table every processor keeps: each version parsed once as it arrives, the one in effect
by event time, and a version that does not parse skipped (logged) by every service alike."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from confluent_kafka import Consumer

from services.common.codec import Codec
from services.common.programs import ProgramBook, ProgramTable, from_record
from services.program import DEFAULT, ProgramError, parse_program

T0 = datetime(2026, 6, 1, tzinfo=UTC)
codec = Codec()


def record(version: int, rules: dict[str, Any], effective_from: datetime = T0) -> dict[str, Any]:
    return {"shop_id": "north", "version": version, "effective_from": effective_from,
            "configured_at": effective_from, "actor": "test", "rules": json.dumps(rules)}  # fmt: skip


@dataclass
class Message:
    payload: bytes
    at: int

    def error(self) -> None:
        return None

    def value(self) -> bytes:
        return self.payload

    def topic(self) -> str:
        return "loyalty.programs"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self.at


class Consumed:
    def __init__(self, *records: dict[str, Any]) -> None:
        self.messages = [Message(codec.encode("ProgramConfigured", r), i) for i, r in enumerate(records)]

    def consume(self, _: int, __: float) -> list[Message]:
        messages, self.messages = self.messages, []
        return messages


def test_a_version_is_read_by_the_one_parser_when_it_arrives() -> None:
    version = from_record(record(3, {"daily_cap": 50}))
    assert (version.version, version.program) == (3, parse_program({"daily_cap": 50}, 3))
    with pytest.raises(ProgramError) as refused:
        from_record(record(4, {"tiers": "vip"}))
    assert refused.value.path == "tiers"


def test_the_version_in_effect_at_an_event_time_applies_and_the_built_in_one_before_any() -> None:
    book = ProgramBook()
    book.add(from_record(record(1, {"daily_cap": 10})))
    book.add(from_record(record(2, {"daily_cap": 20}, T0 + timedelta(days=1))))
    assert book.at("north", T0 - timedelta(seconds=1)) is DEFAULT
    assert book.at("north", T0).daily_cap == 10
    assert book.at("north", T0 + timedelta(days=2)).version == 2
    assert book.at("south", T0 + timedelta(days=2)) is DEFAULT


def test_a_version_that_does_not_parse_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    table = ProgramTable(cast(Consumer, object()), codec)
    table._consumer = cast(Consumer, Consumed(record(1, {"daily_cap": 10}), record(2, {"tiers": "vip"})))
    table._assigned = True
    with caplog.at_level(logging.ERROR):
        table.refresh()
    assert table.book.at("north", T0).version == 1
    assert "tiers: a list" in caplog.text
