"""Avro records <-> the earn domain's events, and the per-customer state as bytes."""

from __future__ import annotations

from typing import Any

import orjson

from services.earn.domain import Earnings, OrderLine, OrderPaid, PointsEarned


def order_paid(record: dict[str, Any]) -> OrderPaid:
    return OrderPaid(
        event_id=record["event_id"],
        shop_id=record["shop_id"],
        customer_id=record["customer_id"],
        occurred_at=record["occurred_at"],
        order_id=record["order_id"],
        currency=record["currency"],
        total_minor=record["total_minor"],
        lines=tuple(OrderLine(**line) for line in record["lines"]),
    )


def points_earned(event: PointsEarned) -> dict[str, Any]:
    # Shallow on purpose: dataclasses.asdict deep-copies every datetime, a third of the hot path.
    return dict(vars(event))


def load_earnings(aggregate: bytes | None, seen_event_ids: frozenset[str]) -> Earnings:
    """The customer's earnings as far as one event needs them: totals and whether it was seen."""
    if aggregate is None:
        return Earnings(seen_event_ids)
    raw = orjson.loads(aggregate)
    return Earnings(seen_event_ids, raw["earned"], raw["orders"])


def dump_aggregate(state: Earnings) -> bytes:
    return orjson.dumps({"earned": state.lifetime_earned, "orders": state.orders})


def seen_key(customer_key: bytes, event_id: str) -> bytes:
    """State key of the marker that an event was applied (one small record per event)."""
    return customer_key + b"\x00seen\x00" + event_id.encode()
