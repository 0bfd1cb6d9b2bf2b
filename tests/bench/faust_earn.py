"""The earn processor on faust-streaming, for the runtime comparison (`make bench`, `make gate RUNTIME=faust`).

The same step as services/earn (same domain, same codec, same state keys); faust supplies the
consumer, the changelogged table and its exactly-once transactions. Not used by the services.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import faust

from services.common import topics
from services.common.codec import Codec, DecodeError
from services.common.processor import Rejected
from services.common.settings import settings
from services.earn.processor import step

PARTITIONS = settings().partitions
DATADIR = Path(".local/faust") / f"{settings().topic_namespace}earn-faust"
DATADIR.parent.mkdir(parents=True, exist_ok=True)
app = faust.App(
    settings().topic_namespace + "earn-faust",
    broker=f"kafka://{settings().kafka_bootstrap}",
    processing_guarantee="exactly_once",
    store="memory://",
    topic_partitions=PARTITIONS,
    topic_replication_factor=1,
    web_enabled=False,
    datadir=str(DATADIR),
    key_serializer="raw",
    value_serializer="raw",
    stream_buffer_maxsize=4096,
    producer_linger_ms=5,
)
orders = app.topic(topics.ORDERS.name, key_type=bytes, value_type=bytes, partitions=PARTITIONS)
ledger = app.topic(topics.LEDGER.name, key_type=bytes, value_type=bytes, partitions=PARTITIONS)
dead_letters = app.topic(topics.DLQ.name, key_type=bytes, value_type=bytes, partitions=PARTITIONS)
state = app.Table("earn-state", default=None, key_type=bytes, value_type=bytes, partitions=PARTITIONS)
codec = Codec()


class TableView:
    """services.common.statestore.StateView over a faust table: writes count only if the step succeeds."""

    def __init__(self) -> None:
        self.staged: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        return self.staged[key] if key in self.staged else state.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self.staged[key] = value


@app.agent(orders, concurrency=1)  # concurrency > 1 has an open data-loss bug upstream
async def earn(stream: Any) -> None:
    async for event in stream.events():
        key, value, message = event.key or b"", event.value, event.message
        view = TableView()
        try:
            outputs = step(key, codec.decode(value), view)  # type: ignore[arg-type]
        except (DecodeError, Rejected) as exc:
            await dead_letters.send(key=key, value=codec.encode("DeadLetter", dead_letter(message, exc)))
            continue
        for state_key, state_value in view.staged.items():
            state[state_key] = state_value
        for out in outputs:
            await ledger.send(key=key, value=codec.encode(out.name, out.record))


def dead_letter(message: Any, exc: Exception) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "source_topic": message.topic,
        "source_partition": message.partition,
        "source_offset": message.offset,
        "original_key": message.key,
        "original_value": message.value,
        "reason": str(exc),
        "error_type": type(exc).__name__,
        "service": "earn-faust",
        "failed_at": datetime.now(UTC),
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn", "--without-web"]
    app.main()
