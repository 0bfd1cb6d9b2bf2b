"""Isolated topic namespaces of tests and benchmarks, deleted when they are done."""

from __future__ import annotations

from services.common import kafka


def delete_namespace(namespace: str, bootstrap: str | None = None) -> None:
    """Deletes every topic of an isolated namespace."""
    if not namespace:
        raise ValueError("refusing to delete the topics of the default namespace")
    admin = kafka.admin(bootstrap)
    names = [n for n in admin.list_topics(timeout=15).topics if n.startswith(namespace)]
    for future in admin.delete_topics(names, operation_timeout=30).values() if names else []:
        future.result()
