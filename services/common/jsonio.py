"""JSON <-> Avro records for HTTP: events arrive as JSON with a `type` field.

Timestamps are ISO 8601 strings (with a zone) or epoch milliseconds; money and points are
integers. Validation against the Avro schema names the field at fault.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastavro.validation import ValidationError, validate

from services.common.codec import Codec

INPUT_TYPES = ("OrderPaid", "OrderRefunded", "TaskCompleted", "RedemptionRequested", "CustomerUpdated")


class InvalidEvent(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_timestamp(value: Any, field: str) -> datetime:
    if isinstance(value, bool):
        raise InvalidEvent(f"{field} must be an ISO 8601 timestamp or epoch milliseconds", field)
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidEvent(f"{field} is not an ISO 8601 timestamp: {value!r}", field) from None
        if parsed.tzinfo is None:
            raise InvalidEvent(f"{field} needs a time zone (e.g. 'Z')", field)
        return parsed
    raise InvalidEvent(f"{field} must be an ISO 8601 timestamp or epoch milliseconds", field)


def from_json(codec: Codec, body: Any) -> tuple[str, dict[str, Any]]:
    """Returns (record name, Avro record) or raises InvalidEvent."""
    if not isinstance(body, dict):
        raise InvalidEvent("an event must be a JSON object")
    name = body.get("type")
    if name not in INPUT_TYPES:
        raise InvalidEvent(f"type must be one of {', '.join(INPUT_TYPES)}", "type")
    schema = codec.schema(name)
    record: dict[str, Any] = {}
    for field in schema.definition["fields"]:
        fname = field["name"]
        if fname in body:
            value = body[fname]
        elif "default" in field:
            value = field["default"]
        else:
            raise InvalidEvent(f"{fname} is required", fname)
        if _is_timestamp(field["type"]) and value is not None:
            value = parse_timestamp(value, fname)
        record[fname] = value
    unknown = set(body) - {f["name"] for f in schema.definition["fields"]} - {"type"}
    if unknown:
        raise InvalidEvent(f"unknown field(s): {', '.join(sorted(unknown))}", sorted(unknown)[0])
    try:
        validate(record, schema.parsed, raise_errors=True)
    except ValidationError as exc:
        raise InvalidEvent(f"does not match the {name} schema: {exc}") from None
    return name, record


def to_json(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in record.items()}


def _is_timestamp(avro_type: Any) -> bool:
    if isinstance(avro_type, dict):
        return avro_type.get("logicalType") == "timestamp-millis"
    if isinstance(avro_type, list):
        return any(_is_timestamp(t) for t in avro_type)
    return False
