"""Random values for any Avro schema, to exercise writers and readers of every version."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any


def sample(schema: Any, rng: random.Random, named: dict[str, Any] | None = None) -> Any:
    named = {} if named is None else named
    if isinstance(schema, list):
        return sample(rng.choice(schema), rng, named)
    if isinstance(schema, str):
        return named[schema] if schema in named else _primitive(schema, rng)
    if schema.get("logicalType") == "timestamp-millis":
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=rng.randrange(10**11))
    kind = schema["type"]
    if kind == "record":
        value = {f["name"]: sample(f["type"], rng, named) for f in schema["fields"]}
        named[schema["name"]] = schema
        return value
    if kind == "array":
        return [sample(schema["items"], rng, named) for _ in range(rng.randrange(3))]
    if kind == "map":
        return {f"k{i}": sample(schema["values"], rng, named) for i in range(rng.randrange(3))}
    if kind == "enum":
        return rng.choice(schema["symbols"])
    return sample(kind, rng, named)


def _primitive(kind: str, rng: random.Random) -> Any:
    generators: dict[str, Callable[[], Any]] = {
        "null": lambda: None,
        "boolean": lambda: rng.random() < 0.5,
        "int": lambda: rng.randint(-(2**31), 2**31 - 1),
        "long": lambda: rng.randint(-(2**63), 2**63 - 1),
        "float": lambda: rng.random(),
        "double": lambda: rng.random(),
        "string": lambda: rng.choice(["", "a", "ünïcode", "x" * 40]),
        "bytes": lambda: rng.randbytes(rng.randrange(8)),
    }
    return generators[kind]()
