"""What read-your-writes asks Kafka: how far each service committed, and where partitions end.

One admin client per gateway, called on a few threads of its own (MIN_POSITION_THREADS), never on
those that deliver the producer's acknowledgements or serve other requests; and at most
MIN_POSITION_MAX_WAITS reads wait for positions at once in a process (beyond, a 503 with
Retry-After). So reads that wait, however many and however long, cannot hold writes back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from confluent_kafka import ConsumerGroupTopicPartitions, IsolationLevel, TopicPartition
from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]
from starlette.datastructures import State

from services.common.kafka import admin as kafka_admin
from services.common.settings import settings
from services.gateway.errors import ApiError
from services.gateway.settings import gateway_settings

T = TypeVar("T")
Offsets = dict[tuple[str, int], int]


class Kafka:
    """The two questions read-your-writes asks Kafka, answered by one admin client per gateway."""

    def __init__(self, threads: int = 4) -> None:
        self.admin = kafka_admin()
        self.threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="min-position")

    async def committed(self, service: str, wanted: list[tuple[str, int]]) -> Offsets:
        group = settings().topic_namespace + service
        request = [ConsumerGroupTopicPartitions(group, [TopicPartition(t, p) for t, p in wanted])]
        answer = await self.asked(lambda: self.admin.list_consumer_group_offsets(request)[group].result(5))
        return {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions if tp.error is None}

    async def ends(self, wanted: set[tuple[str, int]]) -> Offsets:
        """The committed end (last stable offset) of each partition."""
        specs = {TopicPartition(t, p): OffsetSpec.latest() for t, p in sorted(wanted)}  # type: ignore[no-untyped-call]

        def ask() -> Offsets:
            futures = self.admin.list_offsets(specs, isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=5)
            return {(tp.topic, tp.partition): future.result(5).offset for tp, future in futures.items()}

        return await self.asked(ask)

    async def asked(self, question: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.threads, question)

    def close(self) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)


class Waits:
    """How many reads of this process wait for positions at once, up to `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit, self.waiting = limit, 0

    @contextlib.contextmanager
    def admitted(self) -> Iterator[None]:
        """One more read waits, or a 503 if `limit` already do (the event loop is the only caller: no lock)."""
        if self.waiting >= self.limit:
            raise ApiError(503, "too_many_waits", f"{self.limit} reads already wait for min_position here; retry "
                           "shortly", {"field": "min_position"}, headers={"Retry-After": "1"})  # fmt: skip
        self.waiting += 1
        try:
            yield
        finally:
            self.waiting -= 1


def kafka(state: State) -> Kafka:
    if getattr(state, "freshness", None) is None:
        state.freshness = Kafka(gateway_settings().min_position_threads)
    found: Kafka = state.freshness
    return found


def waits(state: State) -> Waits:
    if getattr(state, "waits", None) is None:
        state.waits = Waits(gateway_settings().min_position_max_waits)
    found: Waits = state.waits
    return found


def close(state: State) -> None:
    if (client := getattr(state, "freshness", None)) is not None:
        client.close()
