"""Events over HTTP: JSON with a `type` becomes an Avro record of the contract, or a reason why not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.common.codec import Codec
from services.common.jsonio import InvalidEvent, from_json, to_json

codec = Codec()


def task(**changes: Any) -> dict[str, Any]:
    event = {
        "type": "TaskCompleted",
        "event_id": "e-1",
        "shop_id": "shop",
        "customer_id": "c-1",
        "occurred_at": "2026-11-20T10:00:00Z",
        "task": "review",
        "ref": "sku-1",
    }
    return event | changes


def test_a_json_event_becomes_a_record_that_round_trips_through_the_codec() -> None:
    name, record = from_json(codec, task())
    assert name == "TaskCompleted"
    assert record["occurred_at"] == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert codec.decode(codec.encode(name, record)).record == record
    assert to_json(record)["occurred_at"] == "2026-11-20T10:00:00+00:00"


def test_epoch_milliseconds_are_accepted_for_timestamps_and_optional_fields_take_their_defaults() -> None:
    event = task(occurred_at=1_795_000_000_000)
    del event["ref"]
    _, record = from_json(codec, event)
    assert record["ref"] is None
    assert record["occurred_at"] == datetime.fromtimestamp(1_795_000_000, UTC)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (task(type="Nonsense"), "type"),
        ({k: v for k, v in task().items() if k != "customer_id"}, "customer_id"),
        (task(occurred_at="2026-11-20T10:00:00"), "occurred_at"),
        (task(occurred_at="yesterday"), "occurred_at"),
        (task(colour="red"), "colour"),
    ],
)
def test_a_bad_event_is_refused_naming_the_field_at_fault(event: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEvent) as raised:
        from_json(codec, event)
    assert raised.value.field == field


def test_a_value_of_the_wrong_type_is_refused_with_the_schema_named() -> None:
    with pytest.raises(InvalidEvent, match="TaskCompleted schema"):
        from_json(codec, task(task=42))
