"""The events the gateway accepts over HTTP, the topic each goes to, and their JSON -> Avro conversion.

Known gap: `services.common.jsonio.from_json` knows only the first four input types; until it
takes `CustomerUpdated` too, this applies the same rules (schema defaults, ISO 8601 or epoch-millis
timestamps, no unknown fields, validation naming the field) to every type routed here.
"""

from __future__ import annotations

from typing import Any

from fastavro.validation import ValidationError, validate

from services.common import topics
from services.common.codec import Codec
from services.common.jsonio import InvalidEvent, parse_timestamp
from services.common.topics import Topic

TOPIC_OF: dict[str, Topic] = {
    "OrderPaid": topics.ORDERS,
    "OrderRefunded": topics.ORDERS,
    "TaskCompleted": topics.TASKS,
    "RedemptionRequested": topics.REDEMPTION_REQUESTS,
    "CustomerUpdated": topics.CUSTOMERS,
}


def from_json(codec: Codec, body: Any) -> tuple[str, dict[str, Any]]:
    """Returns (record name, Avro record) or raises InvalidEvent naming the field at fault."""
    if not isinstance(body, dict):
        raise InvalidEvent("an event must be a JSON object")
    name = body.get("type")
    if name not in TOPIC_OF:
        raise InvalidEvent(f"type must be one of {', '.join(TOPIC_OF)}", "type")
    schema = codec.schema(name)
    fields = schema.definition["fields"]
    record: dict[str, Any] = {}
    for field in fields:
        fname = field["name"]
        if fname in body:
            value = body[fname]
        elif "default" in field:
            value = field["default"]
        else:
            raise InvalidEvent(f"{fname} is required", fname)
        record[fname] = parse_timestamp(value, fname) if _is_timestamp(field["type"]) and value is not None else value
    unknown = sorted(set(body) - {f["name"] for f in fields} - {"type"})
    if unknown:
        raise InvalidEvent(f"unknown field(s): {', '.join(unknown)}", unknown[0])
    try:
        validate(record, schema.parsed, raise_errors=True)
    except ValidationError as exc:
        raise InvalidEvent(f"does not match the {name} schema: {exc}") from None
    return name, record


def _is_timestamp(avro_type: Any) -> bool:
    if isinstance(avro_type, dict):
        return avro_type.get("logicalType") == "timestamp-millis"
    if isinstance(avro_type, list):
        return any(_is_timestamp(t) for t in avro_type)
    return False
