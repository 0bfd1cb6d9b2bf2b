"""Avro records <-> the earn domain's events, and the per-customer state as bytes."""

from __future__ import annotations

from dataclasses import asdict
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
    return asdict(event)


def load_earnings(data: bytes | None) -> Earnings:
    if data is None:
        return Earnings()
    raw = orjson.loads(data)
    return Earnings(frozenset(raw["seen"]), raw["earned"], raw["orders"])


def dump_earnings(state: Earnings) -> bytes:
    return orjson.dumps({"seen": sorted(state.seen_event_ids), "earned": state.lifetime_earned, "orders": state.orders})
