"""Records more than one service reads or writes, each described once, as its Avro schema in `schemas/` has it.

A unit test checks each dataclass against its schema: the same fields, in the same order, of the same
types, optional exactly where the schema allows null. Pure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

R = TypeVar("R")


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
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: record[name] for name in names if name in record})


def to_record(value: Any) -> dict[str, Any]:
    """The record of a dataclass, shallow (a deep copy of every datetime would cost the hot path a third)."""
    return dict(vars(value))
