"""The event contract: every `.avsc` in `schemas/`, parsed once, with its Avro fingerprint.

`schemas/` holds the current version of each record. When a record evolves, its previous
version is kept in `schemas/history/` so events written with it still decode (resolved
against the current version as reader).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint as avro_fingerprint
from fastavro.schema import to_parsing_canonical_form

from services.common.settings import schemas_dir

SCHEMAS_DIR = schemas_dir()


@dataclass(frozen=True)
class Schema:
    name: str
    definition: dict[str, Any]
    parsed: Any
    fingerprint: bytes  # 8 bytes, little-endian, as written after C3 01

    @property
    def canonical(self) -> str:
        return str(to_parsing_canonical_form(self.definition))


def load(path: Path) -> Schema:
    definition = json.loads(path.read_text())
    canonical = to_parsing_canonical_form(definition)
    # fastavro gives the CRC-64-AVRO as the hex of its little-endian bytes, as the wire carries it.
    fingerprint = bytes.fromhex(avro_fingerprint(canonical, "CRC-64-AVRO"))
    return Schema(definition["name"], definition, parse_schema(definition), fingerprint)


@dataclass(frozen=True)
class Contract:
    current: dict[str, Schema]
    """Record name -> current schema (the reader schema)."""
    historic: dict[bytes, Schema]
    """Fingerprint -> an older writer schema of a current record."""


@cache
def contract(directory: Path = SCHEMAS_DIR) -> Contract:
    current = {s.name: s for s in map(load, sorted(directory.glob("*.avsc")))}
    historic = {s.fingerprint: s for s in map(load, sorted(directory.glob("history/*.avsc")))}
    if not current:
        raise RuntimeError(f"no Avro schemas found in {directory}")
    return Contract(current, historic)
