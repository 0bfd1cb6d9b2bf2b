"""The events the gateway accepts over HTTP: each type, its topic, and its JSON read as the Avro record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.common import topics
from services.common.codec import Codec
from services.common.jsonio import InvalidEvent
from services.gateway.inputs import TOPIC_OF, from_json

codec = Codec()


def profile(**changes: Any) -> dict[str, Any]:
    return {
        "type": "CustomerUpdated", "event_id": "p-1", "shop_id": "north", "customer_id": "ada",
        "occurred_at": "2026-11-20T10:00:00Z", "tags": ["vip"], "birth_month": 3, "birth_day": 14,
    } | changes  # fmt: skip


def test_each_accepted_type_goes_to_the_topic_the_registry_gives_it() -> None:
    assert set(TOPIC_OF) == {"OrderPaid", "OrderRefunded", "TaskCompleted", "RedemptionRequested", "CustomerUpdated"}
    assert all(topic.writes("gateway", name) for name, topic in TOPIC_OF.items())
    assert TOPIC_OF["CustomerUpdated"] is topics.CUSTOMERS


def test_a_customer_update_is_read_as_its_avro_record() -> None:
    name, record = from_json(codec, profile())
    assert name == "CustomerUpdated"
    assert record == {
        "event_id": "p-1", "shop_id": "north", "customer_id": "ada",
        "occurred_at": datetime(2026, 11, 20, 10, tzinfo=UTC), "tags": ["vip"], "birth_month": 3, "birth_day": 14,
    }  # fmt: skip
    assert codec.decode(codec.encode(name, record)).record == record


def test_a_customer_update_takes_the_schema_defaults_for_what_it_leaves_out() -> None:
    _, record = from_json(codec, {k: v for k, v in profile().items() if k not in ("tags", "birth_month", "birth_day")})
    assert (record["tags"], record["birth_month"], record["birth_day"]) == ([], None, None)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (profile(type="PointsEarned"), "type"),
        (profile(tags="vip"), None),
        (profile(nickname="Ada"), "nickname"),
        ({k: v for k, v in profile().items() if k != "customer_id"}, "customer_id"),
        (profile(occurred_at="2026-11-20T10:00:00"), "occurred_at"),
    ],
)
def test_an_event_that_breaks_the_contract_is_refused_naming_the_field(event: dict[str, Any], field: str | None):
    with pytest.raises(InvalidEvent) as refused:
        from_json(codec, event)
    assert refused.value.field == field
