"""When each customer of a partition next has points to expire: an index in the state store, no record of
which grows with the number of customers.

- `\\x00expiry\\x00customer\\x00{shop}:{customer}`: `[hour, ms]`, the hour bucket the customer is listed
  in and the moment (epoch milliseconds) its next lot expires;
- `\\x00expiry\\x00hour\\x00{hour}`: how many chunks list the customers of that hour (epoch hours), and
  `...\\x00{n}`: chunk n, at most `CHUNK` customers;
- `\\x00expiry\\x00cursor`: `[first, swept]`, the earliest hour that may list anyone and the hour of the
  last sweep (a moment before it is listed in that hour: it is due at the next sweep anyway).

A customer moved to another hour leaves a stale entry behind: entries whose customer's marker names
another hour are dropped when their hour is swept, and hours gone by are deleted. `due` takes at
most `limit` customers per call, so a sweep of a crowded hour is spread over ticks. The per-day
buckets of earlier versions (`\\x00due\\x00{day}`, `\\x00due-days`), which grew with the customers due
on a day, are moved into this index one day per sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from services.common.statestore import StateView
from services.common.timestamps import millis

Customer = tuple[str, str]
CHUNK = 100
HOUR_MS = 3_600_000
CURSOR = b"\x00expiry\x00cursor"
LEGACY_DAYS = b"\x00due-days"
LEGACY_DAY = b"\x00due\x00"


def hour_of(ms: int) -> int:
    return ms // HOUR_MS


def put(view: StateView, customer: Customer, when: datetime | None) -> None:
    """Lists `customer` as due at `when`, or nowhere (None)."""
    marker = _load(view, _marker_key(customer))
    if when is None:
        if marker is not None:
            view.delete(_marker_key(customer))
        return
    first, swept = _load(view, CURSOR) or [None, None]
    at = millis(when)
    hour = max(hour_of(at), swept if swept is not None else hour_of(at))
    if marker is not None and marker[0] == hour:
        if marker[1] != at:
            view.put(_marker_key(customer), orjson.dumps([hour, at]))
        return
    chunks = _load(view, _hour_key(hour)) or 0
    last = _load(view, _chunk_key(hour, chunks - 1)) if chunks else None
    if last is None or len(last) >= CHUNK:
        chunks, last = chunks + 1, []
        view.put(_hour_key(hour), orjson.dumps(chunks))
    view.put(_chunk_key(hour, chunks - 1), orjson.dumps([*last, list(customer)]))
    view.put(_marker_key(customer), orjson.dumps([hour, at]))
    if first is None or hour < first:
        view.put(CURSOR, orjson.dumps([hour, swept]))


def due(view: StateView, now: datetime, limit: int) -> list[Customer]:
    """Up to `limit` customers whose moment has come by `now`, taken off the index (`put` lists them again)."""
    _move_a_legacy_day(view)
    first, _ = _load(view, CURSOR) or [None, None]
    now_ms = millis(now)
    found: dict[Customer, None] = {}
    hour = first if first is not None else hour_of(now_ms)
    while hour <= hour_of(now_ms) and len(found) < limit:
        if not (_sweep_hour(view, hour, now_ms, found, limit) and hour < hour_of(now_ms)):
            break
        hour += 1
    view.put(CURSOR, orjson.dumps([min(hour, hour_of(now_ms)), hour_of(now_ms)]))
    return list(found)


def _sweep_hour(view: StateView, hour: int, now_ms: int, found: dict[Customer, None], limit: int) -> bool:
    """Takes the hour's due customers into `found`; True if the hour lists nobody any more (its keys are gone)."""
    chunks, left = _load(view, _hour_key(hour)) or 0, 0
    for n in range(chunks):
        entries = _load(view, _chunk_key(hour, n)) or []
        if len(found) >= limit:
            left += len(entries)
            continue
        kept = []
        for shop, customer in entries:
            marker = _load(view, _marker_key((shop, customer)))
            if marker is None or marker[0] != hour or (shop, customer) in found:
                continue  # moved elsewhere, no longer due, or listed twice
            if marker[1] <= now_ms and len(found) < limit:
                found[(shop, customer)] = None
                view.delete(_marker_key((shop, customer)))
            else:
                kept.append([shop, customer])
        if kept != entries:
            view.put(_chunk_key(hour, n), orjson.dumps(kept))
        left += len(kept)
    if left:
        return False
    for n in range(chunks):
        view.delete(_chunk_key(hour, n))
    if chunks:
        view.delete(_hour_key(hour))
    return True


def _move_a_legacy_day(view: StateView) -> None:
    """Lists the customers of the oldest per-day bucket of an earlier version here, unless listed already."""
    days = sorted(int(d) for d in (view.get(LEGACY_DAYS) or b"").split(b",") if d)
    if not days:
        return
    bucket = LEGACY_DAY + str(days[0]).encode()
    for at, shop, customer in orjson.loads(view.get(bucket) or b"[]"):
        if view.get(_marker_key((shop, customer))) is None:
            put(view, (shop, customer), datetime.fromtimestamp(at, UTC))
    view.delete(bucket)
    if days[1:]:
        view.put(LEGACY_DAYS, ",".join(str(d) for d in days[1:]).encode())
    else:
        view.delete(LEGACY_DAYS)


def _load(view: StateView, key: bytes) -> Any:
    raw = view.get(key)
    return None if raw is None else orjson.loads(raw)


def _marker_key(customer: Customer) -> bytes:
    return b"\x00expiry\x00customer\x00" + f"{customer[0]}:{customer[1]}".encode()


def _hour_key(hour: int) -> bytes:
    return b"\x00expiry\x00hour\x00" + str(hour).encode()


def _chunk_key(hour: int, n: int) -> bytes:
    return _hour_key(hour) + b"\x00" + str(n).encode()
