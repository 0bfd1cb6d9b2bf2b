"""When each customer of a partition is next due (lots to expire, a downgrade to evaluate): an index in the
state store in which no record grows with the number of customers.

Under a service's `prefix` (`\\x00expiry`, `\\x00tier\\x00due`):
- `{prefix}\\x00customer\\x00{shop}:{customer}`: `[hour, ms]`, the hour bucket the customer is listed in
  and the moment (epoch milliseconds) it is due;
- `{prefix}\\x00hour\\x00{hour}`: how many chunks list the customers of that hour (epoch hours), and
  `...\\x00{n}`: chunk n, at most `CHUNK` customers;
- `{prefix}\\x00cursor`: `[first, swept]`, the earliest hour that may list anyone and the hour of the
  last sweep (a moment before it is listed in that hour: it is due at the next sweep anyway).

A customer moved to another hour leaves a stale entry behind: entries whose customer's marker names
another hour are dropped when their hour is swept, and hours gone by are deleted. `due` takes at
most `limit` customers per call, so a sweep of a crowded hour is spread over several.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from services.common.statestore import StateView
from services.common.timestamps import millis

Customer = tuple[str, str]
CHUNK = 100
HOUR_MS = 3_600_000


def hour_of(ms: int) -> int:
    return ms // HOUR_MS


@dataclass(frozen=True)
class Schedule:
    prefix: bytes
    before_sweep: Callable[[StateView, Schedule], None] | None = None
    """Runs at each sweep before the index is read: e.g. moves the schedule of an earlier version in."""

    def put(self, view: StateView, customer: Customer, when: datetime | None) -> None:
        """Lists `customer` as due at `when`, or nowhere (None)."""
        marker = _load(view, self._marker_key(customer))
        if when is None:
            if marker is not None:
                view.delete(self._marker_key(customer))
            return
        first, swept = _load(view, self._cursor) or [None, None]
        at = millis(when)
        hour = max(hour_of(at), swept if swept is not None else hour_of(at))
        if marker is not None and marker[0] == hour:
            if marker[1] != at:
                view.put(self._marker_key(customer), orjson.dumps([hour, at]))
            return
        chunks = _load(view, self._hour_key(hour)) or 0
        last = _load(view, self._chunk_key(hour, chunks - 1)) if chunks else None
        if last is None or len(last) >= CHUNK:
            chunks, last = chunks + 1, []
            view.put(self._hour_key(hour), orjson.dumps(chunks))
        view.put(self._chunk_key(hour, chunks - 1), orjson.dumps([*last, list(customer)]))
        view.put(self._marker_key(customer), orjson.dumps([hour, at]))
        if first is None or hour < first:
            view.put(self._cursor, orjson.dumps([hour, swept]))

    def due(self, view: StateView, now: datetime, limit: int) -> list[Customer]:
        """Up to `limit` customers whose moment has come by `now`, taken off the index (`put` lists them again)."""
        if self.before_sweep is not None:
            self.before_sweep(view, self)
        first, _ = _load(view, self._cursor) or [None, None]
        now_ms = millis(now)
        found: dict[Customer, None] = {}
        hour = first if first is not None else hour_of(now_ms)
        while hour <= hour_of(now_ms) and len(found) < limit:
            if not (self._sweep_hour(view, hour, now_ms, found, limit) and hour < hour_of(now_ms)):
                break
            hour += 1
        view.put(self._cursor, orjson.dumps([min(hour, hour_of(now_ms)), hour_of(now_ms)]))
        return list(found)

    def _sweep_hour(self, view: StateView, hour: int, now_ms: int, found: dict[Customer, None], limit: int) -> bool:
        """Takes the hour's due customers into `found`; True if the hour lists nobody any more (its keys are gone)."""
        chunks, left = _load(view, self._hour_key(hour)) or 0, 0
        for n in range(chunks):
            entries = _load(view, self._chunk_key(hour, n)) or []
            if len(found) >= limit:
                left += len(entries)
                continue
            kept = []
            for shop, customer in entries:
                marker = _load(view, self._marker_key((shop, customer)))
                if marker is None or marker[0] != hour or (shop, customer) in found:
                    continue  # moved elsewhere, no longer due, or listed twice
                if marker[1] <= now_ms and len(found) < limit:
                    found[(shop, customer)] = None
                    view.delete(self._marker_key((shop, customer)))
                else:
                    kept.append([shop, customer])
            if kept != entries:
                view.put(self._chunk_key(hour, n), orjson.dumps(kept))
            left += len(kept)
        if left:
            return False
        for n in range(chunks):
            view.delete(self._chunk_key(hour, n))
        if chunks:
            view.delete(self._hour_key(hour))
        return True

    def listed(self, view: StateView, customer: Customer) -> bool:
        return view.get(self._marker_key(customer)) is not None

    @property
    def _cursor(self) -> bytes:
        return self.prefix + b"\x00cursor"

    def _marker_key(self, customer: Customer) -> bytes:
        return self.prefix + b"\x00customer\x00" + f"{customer[0]}:{customer[1]}".encode()

    def _hour_key(self, hour: int) -> bytes:
        return self.prefix + b"\x00hour\x00" + str(hour).encode()

    def _chunk_key(self, hour: int, n: int) -> bytes:
        return self._hour_key(hour) + b"\x00" + str(n).encode()


def _load(view: StateView, key: bytes) -> Any:
    raw = view.get(key)
    return None if raw is None else orjson.loads(raw)
