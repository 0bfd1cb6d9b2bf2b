"""Records more than one service reads or writes, each described once, as its Avro schema in `schemas/` has it.

A unit test checks each dataclass against its schema: the same fields, in the same order, of the same
types, optional exactly where the schema allows null. Pure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, TypeVar

R = TypeVar("R")


@dataclass(frozen=True)
class PointsEarned:
    """A credit: a lot of points (loyalty.ledger), written by earn, read by redeem, tier and the projector."""

    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    points: int
    source_event_id: str
    source_type: str
    order_id: str | None
    reason: str
    lot_id: str
    available_at: datetime
    expires_at: datetime
    rule_version: int
    tier: str = "member"
    multipliers: tuple[tuple[str, Fraction], ...] = ()
    weighted_minor: int | None = None
    base_points: int = 0
    bonuses: tuple[tuple[str, int], ...] = ()
    capped_points: int = 0
    order_total_minor: int | None = None
    qualifying: bool = True
    held: str | None = None


@dataclass(frozen=True)
class PointsClawedBack:
    """A clawback claim: points a refunded order loses (loyalty.ledger); redeem decides which lots pay it."""

    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    points: int
    source_event_id: str
    order_id: str
    refund_id: str
    reason: str
    lot_id: str | None
    earned_entry_id: str | None
    refunded_minor: int
    rule_version: int
    qualifying: bool
    may_go_negative: bool


@dataclass(frozen=True)
class TierChanged:
    """A customer's tier changed (loyalty.tiers): written by tier, read by earn, redeem and the projector."""

    shop_id: str
    customer_id: str
    occurred_at: datetime
    from_tier: str
    to_tier: str
    reason: str
    qualifying_points: int


def from_record(cls: type[R], record: dict[str, Any]) -> R:
    """The dataclass of a decoded record; fields the dataclass does not describe are dropped."""
    return cls(**_known(cls, record))


def points_earned(record: dict[str, Any]) -> PointsEarned:
    """Multipliers travel as records of a numerator and a denominator, bonuses as records of their points."""
    values = _known(PointsEarned, record)
    values["multipliers"] = tuple(
        (m["name"], Fraction(m["numerator"], m["denominator"])) for m in record.get("multipliers") or ()
    )
    values["bonuses"] = tuple((b["name"], b["points"]) for b in record.get("bonuses") or ())
    return PointsEarned(**values)


def points_earned_record(event: PointsEarned) -> dict[str, Any]:
    record = to_record(event)
    record["multipliers"] = [
        {"name": name, "numerator": f.numerator, "denominator": f.denominator} for name, f in event.multipliers
    ]
    record["bonuses"] = [{"name": name, "points": points} for name, points in event.bonuses]
    return record


def _known(cls: type[Any], record: dict[str, Any]) -> dict[str, Any]:
    return {name: record[name] for name in _names(cls) if name in record}


def _names(cls: type[Any]) -> tuple[str, ...]:
    if (names := _FIELD_NAMES.get(cls)) is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def to_record(value: Any) -> dict[str, Any]:
    """The record of a dataclass, shallow (a deep copy of every datetime would cost the hot path a third)."""
    return dict(vars(value))
