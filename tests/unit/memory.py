"""A processor's own step over an in-memory state store, as the runtime runs it, without Kafka.

`services.common.statestore.StateStore` restored from an empty changelog, and `send`: one record through
a step on a `StateView` of one partition, whose writes reach the store only if the step succeeds (commit).
"""

from __future__ import annotations

from typing import Any, cast

from confluent_kafka import Consumer

from services.common.codec import Decoded
from services.common.processor import Output, Step
from services.common.statestore import StateStore, StateView


class EmptyChangelog:
    def get_watermark_offsets(self, *args: Any, **kwargs: Any) -> tuple[int, int]:
        return (0, 0)

    def assign(self, partitions: Any) -> None: ...

    def unassign(self) -> None: ...


def memory_store(changelog: str = "customer-state", partition: int = 0) -> StateStore:
    store = StateStore(changelog, cast(Consumer, EmptyChangelog()))
    store.restore([partition])
    return store


def send(step: Step, store: StateStore, key: bytes, decoded: Decoded, partition: int = 0) -> list[Output]:
    """One step as the runtime runs it: its writes reach the store only if it succeeds."""
    view = StateView(store, partition, {})
    outputs = step(key, decoded, view)
    store.put_all({(partition, k): v for k, v in view.staged.items()})
    return outputs


def stored(store: StateStore, partition: int = 0) -> dict[bytes, bytes]:
    return dict(store._partitions[partition])
