"""JSON <-> Avro records for HTTP: events arrive as JSON with a `type` field.

Timestamps are ISO 8601 strings (with a zone) or epoch milliseconds; money and points are
integers. Every field is checked against the contract's limits (`services.limits`) and the Avro
schema; a refusal names the field at fault and never echoes a value that is too long.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastavro.validation import ValidationError, validate

from services import limits
from services.common.codec import Codec

INPUT_TYPES = ("OrderPaid", "OrderRefunded", "TaskCompleted", "RedemptionRequested", "CustomerUpdated")


class InvalidEvent(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 time with its zone, or integer epoch milliseconds, from 2000 to before 2200."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not limits.EARLIEST_MS <= value < limits.LATEST_MS:
            raise InvalidEvent(f"{field} must be from 2000-01-01 to before 2200-01-01 ({value} ms is not)", field)
        return datetime.fromtimestamp(value / 1000, UTC)
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidEvent(f"{field} must be an ISO 8601 timestamp or epoch milliseconds (an integer)", field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent(f"{field} is not an ISO 8601 timestamp: {value!r}", field) from None
    if parsed.tzinfo is None:
        raise InvalidEvent(f"{field} needs a time zone (e.g. 'Z')", field)
    if not limits.EARLIEST <= parsed < limits.LATEST:
        raise InvalidEvent(f"{field} must be from 2000-01-01 to before 2200-01-01 ({value} is not)", field)
    return parsed


def _field_value(body: dict[str, Any], field: dict[str, Any]) -> Any:
    """The body's value of one schema field, its default when absent; timestamps parsed."""
    fname = field["name"]
    if fname in body:
        value = body[fname]
    elif "default" in field:
        value = field["default"]
    else:
        raise InvalidEvent(f"{fname} is required", fname)
    if _is_timestamp(field["type"]) and value is not None:
        return parse_timestamp(value, fname)
    return value


def from_json(codec: Codec, body: Any) -> tuple[str, dict[str, Any]]:
    """Returns (record name, Avro record) or raises InvalidEvent."""
    if not isinstance(body, dict):
        raise InvalidEvent("an event must be a JSON object")
    name = body.get("type")
    if name not in INPUT_TYPES:
        raise InvalidEvent(f"type must be one of {', '.join(INPUT_TYPES)}", "type")
    schema = codec.schema(name)
    record = {field["name"]: _field_value(body, field) for field in schema.definition["fields"]}
    unknown = set(body) - {f["name"] for f in schema.definition["fields"]} - {"type"}
    if unknown:
        names = sorted(field_name[:100] for field_name in unknown)
        raise InvalidEvent(f"unknown field(s): {', '.join(names[:5])}", names[0])
    if (breach := limits.breach(record, name)) is not None:
        raise InvalidEvent(str(breach), breach.field)
    try:
        validate(record, schema.parsed, raise_errors=True)
    except ValidationError as exc:
        raise InvalidEvent(f"does not match the {name} schema: {str(exc)[:500]}") from None
    if (size := len(codec.encode(name, record))) > limits.EVENT_BYTES:
        raise InvalidEvent(f"the event takes {size} bytes in Avro, more than {limits.EVENT_BYTES}")
    return name, record


def to_json(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in record.items()}


def _is_timestamp(avro_type: Any) -> bool:
    if isinstance(avro_type, dict):
        return avro_type.get("logicalType") == "timestamp-millis"
    if isinstance(avro_type, list):
        return any(_is_timestamp(t) for t in avro_type)
    return False
