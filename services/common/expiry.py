"""State records that expire: kept until a moment of event time, then deleted from the store and the changelog.

Which records expire when is the services' policy; this is the mechanism, on one partition's state:

- `put(view, key, value, until_ms)` writes a record that expires at `until_ms` (epoch milliseconds): its
  value carries the moment ahead of it (`FRAME`, 8 bytes big-endian, then the value). The local store
  lists it in its index (`INDEX + until (8 bytes big-endian) + key`, in the order records fall due) as it
  writes it, from a committed batch or a restore: the index is derived, local, and never in the changelog.
  A record written again keeps the later of its moments (an earlier index entry is left to the sweep).
- The partition's clock (`CLOCK`) is the latest event time its steps `advance` it to: deterministic from
  the log, whatever the batches.
- `get(view, key, now_ms)` reads an expiring record as absent once its moment is before `now_ms`, swept
  or not: a decision never depends on when the sweep ran.
- `sweep_batch`, at the end of each batch, for each partition of the batch whose clock entered a new UTC
  day since its last sweep (or that has more left): deletes the records whose moment is before the clock
  and their index entries, up to `SWEEP_LIMIT` index entries per partition and batch, the rest at the next
  batch. The records' deletions are tombstones in the changelog, in the batch's transaction; the index
  entries' are local (`local`). A record written again in the batch with a later moment is kept: the sweep
  reads through the batch's writes.

Keys under `\\x00exp` are this module's; customer keys never start with `\\x00` (the contract refuses NUL).
A value without the frame (written before, or by plain `StateView.put`) never expires.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import orjson

from services.common import localstate, metrics
from services.common.statestore import StateStore, StateView

log = logging.getLogger(__name__)
INDEX, FRAME = localstate.EXPIRY_INDEX, localstate.FRAME
"""The index's keys and the frame of an expiring value: the local store's layout (`localstate`)."""
CLOCK = b"\x00exp-clock"
SWEPT = b"\x00exp-swept"
"""`[day, more]`: the UTC day (of the clock) of the last sweep, and whether it left expired records behind."""
DAY_MS = 86_400_000
SWEEP_LIMIT = 1_000
"""Index entries a sweep looks at per partition and batch, so a sweep never stalls a partition."""
Changes = dict[tuple[int, bytes], bytes | None]


def _moment(ms: int) -> bytes:
    return max(ms, 0).to_bytes(8, "big")


def index_key(until_ms: int, key: bytes) -> bytes:
    return INDEX + _moment(until_ms) + key


def until(raw: bytes) -> int | None:
    """The moment a stored value expires at; None for a value that does not expire."""
    moment = localstate.expiring_moment(raw)
    return None if moment is None else int.from_bytes(moment, "big")


def put(view: StateView, key: bytes, value: bytes, until_ms: int) -> None:
    """Writes `value` under `key`, kept at least until `until_ms` (a later moment it already has stands)."""
    stored = view.get(key)
    before = None if stored is None else until(stored)
    if before is not None and before >= until_ms:
        until_ms = before
    view.put(key, FRAME + _moment(until_ms) + value)


def local(key: bytes) -> bool:
    """Whether a state key is the local store's alone (an index entry): its changes stay out of the changelog."""
    return key.startswith(INDEX)


def value(raw: bytes | None) -> bytes | None:
    """A stored value without its moment, expired or not (for tools and tests that read a store whole)."""
    return raw if raw is None or until(raw) is None else raw[9:]


def get(view: StateView, key: bytes, now_ms: int) -> bytes | None:
    """The value under `key`; None if there is none or it expired before `now_ms`."""
    raw = view.get(key)
    if raw is None or (moment := until(raw)) is None:
        return raw
    return None if moment < now_ms else raw[9:]


def clock(view: StateView) -> int | None:
    raw = view.get(CLOCK)
    return None if raw is None else int(raw)


def advance(view: StateView, at_ms: int) -> int:
    """Moves the partition's clock on to `at_ms` (never back); the clock after."""
    passed = clock(view)
    now = at_ms if passed is None else max(passed, at_ms)
    if now != passed:
        view.put(CLOCK, str(now).encode())
    return now


def sweep(store: StateStore, view: StateView, partition: int, limit: int = SWEEP_LIMIT) -> int:
    """Deletes what expired before the partition's clock, once per day of it (module docstring); how many records."""
    now = clock(view)
    if now is None:
        return 0
    day, more = orjson.loads(view.get(SWEPT) or b"[null, false]")
    if not more and day is not None and now // DAY_MS <= day:
        return 0
    looked, expired = 0, 0
    for entry, _ in store.items(partition, INDEX, INDEX + _moment(now)):
        if looked >= limit:
            break
        looked += 1
        if view.get(entry) is None:
            continue
        key = entry[len(INDEX) + 8 :]
        if (raw := view.get(key)) is not None and (moment := until(raw)) is not None and moment < now:
            view.delete(key)
            expired += 1
        view.delete(entry)
    view.put(SWEPT, orjson.dumps([now // DAY_MS, looked >= limit]))
    return expired


def sweep_batch(service: str, store: StateStore, changes: Changes, partitions: Iterable[int]) -> int:
    """Sweeps each partition of a batch into its changes (tombstones in the same transaction); records deleted."""
    expired = 0
    for partition in sorted(set(partitions)):
        view = StateView(store, partition, changes)
        try:
            count = sweep(store, view, partition)
        except Exception:  # a sweep that trips a bug must not stop the partition: what expired only waits
            log.exception("%s: the expiry sweep of partition %d failed; its records wait", service, partition)
            continue
        if count:
            metrics.STATE_EXPIRED.labels(service).inc(count)
            expired += count
        for key, value in view.staged.items():
            changes[(partition, key)] = value
    return expired
