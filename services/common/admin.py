"""Topic creation in one place: every topic of the registry, one partition count for all."""

from __future__ import annotations

from collections.abc import Mapping

from confluent_kafka import KafkaException
from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]

from services.common import kafka, topics
from services.common.settings import settings


def create_topics(partitions: int | None = None, bootstrap: str | None = None) -> list[str]:
    """Creates the missing topics; returns the names it created. Safe to run again."""
    count = partitions or settings().partitions
    admin = kafka.admin(bootstrap)
    existing = admin.list_topics(timeout=15).topics
    wanted = [
        NewTopic(t.name, num_partitions=count, replication_factor=settings().replication_factor, config=t.config)
        for t in topics.ALL
        if t.name not in existing
    ]
    check_partition_counts(existing, count)
    if not wanted:
        return []
    for future in admin.create_topics(wanted, operation_timeout=30).values():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    return [t.topic for t in wanted]


def check_partition_counts(existing: Mapping[str, object], count: int) -> None:
    """Co-partitioning is part of the contract: refuse to run on topics that break it."""
    for t in topics.ALL:
        meta = existing.get(t.name)
        have = len(getattr(meta, "partitions", {})) if meta is not None else count
        if have != count:
            raise RuntimeError(f"topic {t.name} has {have} partitions, expected {count} (co-partitioning)")
