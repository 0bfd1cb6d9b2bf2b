"""A Confluent-compatible Schema Registry behind the codec (only when SCHEMA_REGISTRY_URL is set).

Several record types share a topic, so subjects follow the topic-record strategy:
`{topic}-{namespace}.{Record}`. Ids and writer schemas are cached: one lookup per schema.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from confluent_kafka.schema_registry import Schema as RegistrySchema
from confluent_kafka.schema_registry import SchemaRegistryClient
from fastavro import parse_schema

from services.common.schemas import Schema


class ConfluentRegistry:
    def __init__(self, url: str, basic_auth: str = "") -> None:
        config = {"url": url} | ({"basic.auth.user.info": basic_auth} if basic_auth else {})
        self.client = SchemaRegistryClient.new_client(config)
        self._ids: dict[tuple[str, str], int] = {}
        self._writers: dict[int, tuple[str, Any]] = {}

    def schema_id(self, topic: str, schema: Schema) -> int:
        key = (topic, schema.name)
        if key not in self._ids:
            subject = f"{topic}-{schema.definition['namespace']}.{schema.name}"
            text = json.dumps(schema.definition)
            self._ids[key] = self.client.register_schema(subject, RegistrySchema(text, "AVRO"))
        return self._ids[key]

    def writer_schema(self, schema_id: int) -> tuple[str, Any]:
        if schema_id not in self._writers:
            definition = json.loads(self.client.get_schema(schema_id).schema_str or "{}")
            self._writers[schema_id] = (definition["name"].rsplit(".", 1)[-1], parse_schema(definition))
        return self._writers[schema_id]


@cache
def from_settings(url: str, basic_auth: str = "") -> ConfluentRegistry | None:
    return ConfluentRegistry(url, basic_auth) if url else None
