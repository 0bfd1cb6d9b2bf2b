"""Avro on the wire: single-object encoding by default, Confluent framing when a registry is set.

Single-object encoding (Avro specification): `C3 01`, the 8-byte little-endian CRC-64-AVRO
fingerprint of the writer schema, then the Avro binary body. Fingerprints resolve against
`schemas/` with no server. Confluent framing (`00` + 4-byte schema id) is read whenever a
registry is configured, and written when `registry` is given to `Codec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any, Protocol, cast

from fastavro import schemaless_reader, schemaless_writer

from services.common.schemas import Contract, Schema, contract

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = 0


class DecodeError(ValueError):
    """The bytes are not an event of the contract; the reason says why."""


@dataclass(frozen=True)
class Decoded:
    name: str
    record: dict[str, Any]
    topic: str = ""
    """Where the stream runtime read it, with its partition."""
    partition: int = 0
    logged_at: int | None = None
    """The Kafka record's own timestamp (epoch milliseconds), the same on every replay; None if it has none."""


class SchemaRegistry(Protocol):
    """What the codec needs of a Confluent-compatible registry (see `registry.py`)."""

    def schema_id(self, topic: str, schema: Schema) -> int: ...

    def writer_schema(self, schema_id: int) -> tuple[str, Any]: ...


class Codec:
    def __init__(self, schemas: Contract | None = None, registry: SchemaRegistry | None = None) -> None:
        self.contract = schemas or contract()
        self.registry = registry if registry is not None else _configured_registry()
        self._by_fingerprint = {s.fingerprint: s for s in self.contract.current.values()}

    def schema(self, name: str) -> Schema:
        try:
            return self.contract.current[name]
        except KeyError:
            raise DecodeError(f"unknown record type {name!r}") from None

    def encode(self, name: str, record: dict[str, Any], topic: str = "") -> bytes:
        schema = self.schema(name)
        out = BytesIO()
        if self.registry is not None:
            out.write(bytes([CONFLUENT_MAGIC]) + self.registry.schema_id(topic, schema).to_bytes(4, "big"))
        else:
            out.write(SINGLE_OBJECT_MAGIC + schema.fingerprint)
        schemaless_writer(out, schema.parsed, record)
        return out.getvalue()

    def decode(self, data: bytes | None) -> Decoded:
        if not data:
            raise DecodeError("empty value")
        try:
            if data[:2] == SINGLE_OBJECT_MAGIC:
                return self._decode_single_object(data)
            if data[0] == CONFLUENT_MAGIC and len(data) > 5:
                return self._decode_confluent(data)
        except DecodeError:
            raise
        except Exception as exc:  # fastavro raises many types on truncated or corrupt bodies
            raise DecodeError(f"corrupt Avro body: {type(exc).__name__}: {exc}") from exc
        raise DecodeError("not Avro: neither single-object (C3 01) nor Confluent (00) framing")

    def _decode_single_object(self, data: bytes) -> Decoded:
        fingerprint = data[2:10]
        body = BytesIO(data[10:])
        if (schema := self._by_fingerprint.get(fingerprint)) is not None:
            return Decoded(schema.name, cast(dict[str, Any], schemaless_reader(body, schema.parsed, None)))
        if (old := self.contract.historic.get(fingerprint)) is not None:
            reader = self.schema(old.name)
            return Decoded(old.name, cast(dict[str, Any], schemaless_reader(body, old.parsed, reader.parsed)))
        raise DecodeError(f"unknown schema fingerprint {fingerprint.hex()}")

    def _decode_confluent(self, data: bytes) -> Decoded:
        if self.registry is None:
            raise DecodeError("Confluent-framed record but no schema registry is configured")
        name, writer = self.registry.writer_schema(int.from_bytes(data[1:5], "big"))
        reader = self.schema(name)
        record = schemaless_reader(BytesIO(data[5:]), writer, reader.parsed)
        return Decoded(name, cast(dict[str, Any], record))


def _configured_registry() -> SchemaRegistry | None:
    from services.common.registry import from_settings
    from services.common.settings import settings

    return from_settings(settings().schema_registry_url, settings().schema_registry_basic_auth)
