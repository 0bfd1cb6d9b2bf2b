"""Avro records <-> the tier domain, and the state store's values as bytes.

State keys of a partition: each customer's state under its key `{shop_id}:{customer_id}`; the
partition's stream time under `STREAM_TIME`; the customers whose downgrade falls due on a UTC day
under `due_key(day)`, so a sweep reads only the days stream time has just passed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from services.common.timestamps import millis, moment
from services.records import TierChanged, to_record
from services.tier.domain import CustomerTier, Entry, LedgerEntry

DAY_MS = 86_400_000
STREAM_TIME = b"\x00tier\x00stream-time"


QUALIFYING = frozenset({"PointsEarned", "PointsClawedBack"})
"""Ledger records that move qualifying points; bought, transferred and spent points never do."""


def ledger_entry(name: str, record: dict[str, Any]) -> LedgerEntry | None:
    """What tiers need of a ledger record; None for a record that moves no qualifying points (only the clock)."""
    if name not in QUALIFYING:
        return None
    return LedgerEntry(
        entry_id=record["entry_id"],
        shop_id=record["shop_id"],
        customer_id=record["customer_id"],
        occurred_at=record["occurred_at"],
        kind="earned" if name == "PointsEarned" else "clawed_back",
        points=record["points"],
        qualifying=record["qualifying"],
        earned_entry_id=record.get("earned_entry_id"),
    )


def tier_changed(event: TierChanged) -> dict[str, Any]:
    return to_record(event)


def _optional(value: int | None) -> datetime | None:
    return None if value is None else moment(value)


def load_state(value: bytes | None) -> CustomerTier:
    if not value:
        return CustomerTier()
    raw = orjson.loads(value)
    return CustomerTier(
        tier=raw["tier"],
        entries=tuple(Entry(entry_id, moment(at), points) for entry_id, at, points in raw["entries"]),
        clock=_optional(raw["clock"]),
        falls_at=_optional(raw["falls_at"]),
        fall_reason=raw["fall_reason"],
        due=_optional(raw["due"]),
    )


def dump_state(state: CustomerTier) -> bytes:
    def optional(at: datetime | None) -> int | None:
        return None if at is None else millis(at)

    return orjson.dumps(
        {
            "tier": state.tier,
            "entries": [[e.entry_id, millis(e.occurred_at), e.points] for e in state.entries],
            "clock": optional(state.clock),
            "falls_at": optional(state.falls_at),
            "fall_reason": state.fall_reason,
            "due": optional(state.due),
        }
    )


def due_key(day: int) -> bytes:
    """The day's bucket of customers whose downgrade falls due (days since 1970-01-01 UTC)."""
    return b"\x00tier\x00due\x00" + str(day).encode()


def day_of(at: datetime) -> int:
    return millis(at) // DAY_MS


Due = tuple[int, str, str]
"""A customer in a day's bucket: (due in ms, shop_id, customer_id)."""


def load_due(value: bytes | None) -> list[Due]:
    return [(at, shop_id, customer_id) for at, shop_id, customer_id in orjson.loads(value)] if value else []


def dump_due(bucket: list[Due]) -> bytes:
    return orjson.dumps(sorted(bucket))


def load_stream_time(value: bytes | None) -> datetime | None:
    return None if not value else moment(int(value))


def dump_stream_time(at: datetime) -> bytes:
    return str(millis(at)).encode()
