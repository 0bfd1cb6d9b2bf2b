"""Avro records <-> the earn domain, and the per-customer and per-shop state as bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from services.earn.domain import (
    CustomerUpdated,
    EarnedOrder,
    Earnings,
    OrderPaid,
    OrderRefunded,
    PointsClawedBack,
    PointsEarned,
    RefundAwaitingOrder,
    ShopHours,
    TaskCompleted,
    TierChanged,
)
from services.earn.rules import Line


def order_paid(record: dict[str, Any]) -> OrderPaid:
    return OrderPaid(
        event_id=record["event_id"],
        shop_id=record["shop_id"],
        customer_id=record["customer_id"],
        occurred_at=record["occurred_at"],
        order_id=record["order_id"],
        currency=record["currency"],
        total_minor=record["total_minor"],
        lines=tuple(Line(**line) for line in record["lines"]),
    )


def order_refunded(record: dict[str, Any]) -> OrderRefunded:
    return OrderRefunded(
        event_id=record["event_id"],
        shop_id=record["shop_id"],
        customer_id=record["customer_id"],
        occurred_at=record["occurred_at"],
        order_id=record["order_id"],
        refund_id=record["refund_id"],
        amount_minor=record["amount_minor"],
    )


def task_completed(record: dict[str, Any]) -> TaskCompleted:
    return TaskCompleted(
        event_id=record["event_id"],
        shop_id=record["shop_id"],
        customer_id=record["customer_id"],
        occurred_at=record["occurred_at"],
        task=record["task"],
        ref=record.get("ref"),
    )


def customer_updated(record: dict[str, Any]) -> CustomerUpdated:
    return CustomerUpdated(
        event_id=record["event_id"],
        occurred_at=record["occurred_at"],
        tags=frozenset(record.get("tags") or ()),
        birth_month=record.get("birth_month"),
        birth_day=record.get("birth_day"),
    )


def tier_changed(record: dict[str, Any]) -> TierChanged:
    return TierChanged(record["to_tier"], record["occurred_at"])


def points_earned(event: PointsEarned) -> dict[str, Any]:
    # Shallow on purpose: dataclasses.asdict deep-copies every datetime, a third of the hot path.
    record = dict(vars(event))
    record["multipliers"] = [
        {"name": name, "numerator": f.numerator, "denominator": f.denominator} for name, f in event.multipliers
    ]
    record["bonuses"] = [{"name": name, "points": points} for name, points in event.bonuses]
    return record


def points_clawed_back(event: PointsClawedBack) -> dict[str, Any]:
    return dict(vars(event))


def _ms(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp() * 1000)


def _at(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def dump_earnings(state: Earnings) -> bytes:
    """Everything but `seen_event_ids`, which are stored as one marker per event (see seen_key)."""
    return orjson.dumps(
        {
            "earned": state.lifetime_earned,
            "clawed_back": state.clawed_back,
            "orders": state.orders,
            "last_order_at": _ms(state.last_order_at),
            "tier": state.tier,
            "tags": sorted(state.tags),
            "birth": [state.birth_month, state.birth_day],
            "earned_orders": {
                order_id: [
                    o.entry_id,
                    o.points,
                    o.total_minor,
                    o.rule_version,
                    o.qualifying,
                    o.refunded_minor,
                    o.clawed_back,
                    sorted(o.refund_ids),
                ]
                for order_id, o in state.earned_orders.items()
            },
            "awaiting": {
                order_id: [[r.event_id, r.refund_id, r.amount_minor, _ms(r.occurred_at)] for r in refunds]
                for order_id, refunds in state.awaiting_order.items()
            },
            "daily": state.daily_points,
            "tasks": state.task_counts,
            "once": sorted(state.task_refs),
        }
    )


def load_earnings(aggregate: bytes | None, seen_event_ids: frozenset[str]) -> Earnings:
    """The customer's earnings as far as one event needs them: the record and whether it was seen."""
    if aggregate is None:
        return Earnings(seen_event_ids)
    raw = orjson.loads(aggregate)
    if "earned_orders" not in raw:  # written before the earning rules: totals only
        return Earnings(seen_event_ids, raw["earned"], orders=raw["orders"])
    month, day = raw["birth"]
    return Earnings(
        seen_event_ids=seen_event_ids,
        lifetime_earned=raw["earned"],
        clawed_back=raw["clawed_back"],
        orders=raw["orders"],
        last_order_at=_at(raw["last_order_at"]),
        tier=raw["tier"],
        tags=frozenset(raw["tags"]),
        birth_month=month,
        birth_day=day,
        earned_orders={
            order_id: EarnedOrder(entry, points, total, version, qualifying, refunded, clawed, frozenset(ids))
            for order_id, (entry, points, total, version, qualifying, refunded, clawed, ids) in raw[
                "earned_orders"
            ].items()
        },
        awaiting_order={
            order_id: tuple(
                RefundAwaitingOrder(event_id, order_id, refund_id, amount, _at(ms) or datetime.min.replace(tzinfo=UTC))
                for event_id, refund_id, amount, ms in refunds
            )
            for order_id, refunds in raw["awaiting"].items()
        },
        daily_points=raw["daily"],
        task_counts=raw["tasks"],
        task_refs=frozenset(raw["once"]),
    )


def dump_shop(shop: ShopHours) -> bytes:
    return orjson.dumps(shop.issued)


def load_shop(raw: bytes | None) -> ShopHours:
    return ShopHours() if raw is None else ShopHours(orjson.loads(raw))


def seen_key(customer_key: bytes, event_id: str) -> bytes:
    """State key of the marker that an event was applied (one small record per event)."""
    return customer_key + b"\x00seen\x00" + event_id.encode()


def shop_key(shop_id: str) -> bytes:
    """State key of a shop's issued points per hour (the circuit breaker), per partition."""
    return b"\x00shop\x00" + shop_id.encode()
