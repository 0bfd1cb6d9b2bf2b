"""A processor's own step over a scratch state store, as the runtime runs it, without Kafka.

`services.common.statestore.StateStore` restored from an empty changelog into a fresh directory (in
/dev/shm where there is one: RocksDB on a RAM disk opens in milliseconds), and `send`: one record through
a step on a `StateView` of one partition, whose writes reach the store only if the step succeeds (commit);
`send_batch`: several, with the expiry sweep that ends a batch.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from confluent_kafka import Consumer

from services.common import expiry
from services.common.codec import Decoded
from services.common.localstate import Memory
from services.common.processor import Output, Rejected, Step
from services.common.statestore import StateStore, StateView

EVERY_KEY_BELOW = b"\xff" * 16
"""An upper bound of every state key, for reading a whole partition."""
RAM_DISK = Path("/dev/shm")  # noqa: S108 (mkdtemp makes a directory of its own in it, private to this user)
SCRATCH = Path(tempfile.mkdtemp(prefix="pointstream-state-", dir=RAM_DISK if RAM_DISK.is_dir() else None))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
MEMORY = Memory(16)


class EmptyChangelog:
    def get_watermark_offsets(self, *args: Any, **kwargs: Any) -> tuple[int, int]:
        return (0, 0)

    def assign(self, partitions: Any) -> None: ...

    def unassign(self) -> None: ...


def scratch_directory() -> Path:
    return Path(tempfile.mkdtemp(dir=SCRATCH))


def scratch_store(changelog: str = "customer-state", partition: int = 0) -> StateStore:
    store = StateStore(changelog, cast(Consumer, EmptyChangelog()), scratch_directory(), memory=MEMORY)
    store.restore([partition])
    return store


def send(step: Step, store: StateStore, key: bytes, decoded: Decoded, partition: int = 0) -> list[Output]:
    """One step as the runtime runs it: its writes reach the store only if it succeeds."""
    view = StateView(store, partition, {})
    outputs = step(key, decoded, view)
    store.put_all({(partition, k): v for k, v in view.staged.items()})
    return outputs


def stored(store: StateStore, partition: int = 0) -> dict[bytes, bytes]:
    return dict(store.items(partition, b"", EVERY_KEY_BELOW))


def send_batch(
    step: Step, store: StateStore, records: Iterable[tuple[bytes, Decoded]], partition: int = 0
) -> tuple[list[Output], list[str]]:
    """A batch as the runtime commits it: each record's writes, or its dead letter (the reasons are returned),
    then the expiry sweep of the partition, all into the store at once."""
    changes: dict[tuple[int, bytes], bytes | None] = {}
    outputs: list[Output] = []
    dead: list[str] = []
    for key, decoded in records:
        view = StateView(store, partition, changes)
        try:
            outputs += step(key, decoded, view)
        except Rejected as exc:
            dead.append(str(exc))
            continue
        changes.update({(partition, k): v for k, v in view.staged.items()})
    expiry.sweep_batch("test", store, changes, [partition])
    store.put_all(changes)
    return outputs, dead
