"""Events over HTTP: JSON with a `type` becomes an Avro record of the contract, or a reason why not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services import limits
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


def order(**changes: Any) -> dict[str, Any]:
    event = {"type": "OrderPaid", "event_id": "e-2", "shop_id": "shop", "customer_id": "c-1",
             "occurred_at": "2026-11-10T10:00:00Z", "order_id": "o-1", "currency": "JPY", "total_minor": 1200,
             "lines": [{"sku": "tea", "category": "grocery", "quantity": 1, "unit_price_minor": 1200}]}  # fmt: skip
    return event | changes


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (order(total_minor=2**62), "total_minor"),
        (order(total_minor=10**13 + 1), "total_minor"),
        (order(customer_id="c" * 3000), "customer_id"),
        (order(event_id="e" * 600_000), "event_id"),
        (order(lines=[{"sku": "s" * 256, "category": "c", "quantity": 1, "unit_price_minor": 1}]), "lines[0].sku"),
        (order(lines=[{"sku": "s", "category": "c", "quantity": 1, "unit_price_minor": 2**62}]),
         "lines[0].unit_price_minor"),
        (order(occurred_at=10**17), "occurred_at"),
        (order(occurred_at=-(10**16)), "occurred_at"),
        (order(occurred_at=1e17), "occurred_at"),
        (order(occurred_at=1_795_000_000_000.5), "occurred_at"),
        (order(occurred_at="1999-12-31T23:59:59Z"), "occurred_at"),
        (order(occurred_at="9999-12-31T23:59:59Z"), "occurred_at"),
        (task(task="t" * 101), "task"),
        (task(ref="r" * 256), "ref"),
    ],
)  # fmt: skip
def test_an_event_beyond_the_limits_of_the_contract_is_refused_naming_the_field(
    event: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        from_json(codec, event)
    assert refused.value.field == field
    assert len(str(refused.value)) < 200, "the refusal does not echo the value"


def test_an_event_at_the_limits_of_the_contract_is_accepted() -> None:
    longest = order(customer_id="\U0001f600" * 256, total_minor=10**13, occurred_at=limits.LATEST_MS - 1)
    _, record = from_json(codec, longest)
    assert (len(record["customer_id"]), record["total_minor"]) == (256, 10**13)


def test_an_event_too_large_for_the_broker_is_refused_whole() -> None:
    line = {"sku": "\U0001f600" * 255, "category": "\U0001f600" * 255, "quantity": 1, "unit_price_minor": 1}
    with pytest.raises(InvalidEvent, match="bytes"):
        from_json(codec, order(lines=[line] * 1000))
