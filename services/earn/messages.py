"""Avro records <-> the earn domain, and the per-customer and per-shop state as bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from services.common import topics
from services.common.processor import Output
from services.common.timestamps import millis, moment
from services.earn.commands import Command, CustomerUpdated, OrderPaid, OrderRefunded, TaskCompleted
from services.earn.earnings import EarnedOrder, Earnings, ShopHours
from services.earn.events import Event, RefundAwaitingOrder
from services.earn.points import Line
from services.records import PointsClawedBack, PointsEarned, TierChanged, from_record, points_earned_record, to_record


def order_paid(record: dict[str, Any]) -> OrderPaid:
    return OrderPaid(
        event_id=record["event_id"],
        shop_id=record["shop_id"],
        customer_id=record["customer_id"],
        occurred_at=record["occurred_at"],
        order_id=record["order_id"],
        currency=record["currency"],
        total_minor=record["total_minor"],
        lines=tuple(Line(li["sku"], li["category"], li["quantity"], li["unit_price_minor"]) for li in record["lines"]),
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
    return from_record(TierChanged, record)


COMMANDS = {
    "OrderPaid": order_paid,
    "OrderRefunded": order_refunded,
    "TaskCompleted": task_completed,
    "CustomerUpdated": customer_updated,
    "TierChanged": tier_changed,
}


def command(name: str, record: dict[str, Any]) -> Command:
    reader: Any = COMMANDS[name]
    read: Command = reader(record)
    return read


def outputs(events: list[Event]) -> list[Output]:
    """The ledger records of the events; the facts earn keeps for itself are not written."""
    written = []
    for event in events:
        if isinstance(event, PointsEarned):
            written.append(Output(topics.LEDGER, "PointsEarned", points_earned(event)))
        elif isinstance(event, PointsClawedBack):
            written.append(Output(topics.LEDGER, "PointsClawedBack", points_clawed_back(event)))
    return written


def points_earned(event: PointsEarned) -> dict[str, Any]:
    return points_earned_record(event)


def points_clawed_back(event: PointsClawedBack) -> dict[str, Any]:
    return to_record(event)


def _ms(when: datetime | None) -> int | None:
    return None if when is None else millis(when)


def _at(ms: int | None) -> datetime | None:
    return None if ms is None else moment(ms)


def dump_earnings(state: Earnings) -> bytes:
    """The customer's record without `seen_event_ids` (a marker per event, see seen_key) and without
    the orders (a record per order, see dump_order): each event loads only what it needs."""
    return orjson.dumps(
        {
            "earned": state.lifetime_earned,
            "clawed_back": state.clawed_back,
            "orders": state.orders,
            "last_order_at": _ms(state.last_order_at),
            "tier": state.tier,
            "tags": sorted(state.tags),
            "birth": [state.birth_month, state.birth_day],
            "daily": state.daily_points,
            "tasks": state.task_counts,
        }
    )


def load_earnings(
    aggregate: bytes | None,
    seen_event_ids: frozenset[str],
    order: tuple[str, bytes | None] | None = None,
    task_refs: frozenset[str] = frozenset(),
) -> Earnings:
    """The customer's earnings as far as one event needs them: the record, whether the event was
    seen, the one order it is about (`(order_id, stored order)`) and the `(task, ref)` it would use
    up if that was paid (see task_ref_key)."""
    earned_orders, awaiting = load_order(order)
    if aggregate is None:
        return Earnings(seen_event_ids, earned_orders=earned_orders, awaiting_order=awaiting, task_refs=task_refs)
    raw = orjson.loads(aggregate)
    if order is not None and order[1] is None and "earned_orders" in raw:  # orders kept in the record (older layout)
        old = {"earned": raw["earned_orders"].get(order[0]), "awaiting": raw["awaiting"].get(order[0], [])}
        earned_orders, awaiting = load_order((order[0], orjson.dumps(old)))
    if "birth" not in raw:  # written before the earning rules: totals only
        return Earnings(seen_event_ids, raw["earned"], orders=raw["orders"], earned_orders=earned_orders)
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
        earned_orders=earned_orders,
        awaiting_order=awaiting,
        daily_points=raw["daily"],
        task_counts=raw["tasks"],
        task_refs=task_refs | frozenset(raw.get("once", ())),  # kept in the record by the previous layout
    )


def dump_order(order_id: str, state: Earnings) -> bytes:
    """What one order earned and the refunds still waiting for it."""
    o = state.earned_orders.get(order_id)
    earned = None
    if o is not None:
        earned = [
            o.entry_id, o.points, o.total_minor, o.rule_version, o.qualifying, o.refunded_minor, o.clawed_back,
            sorted(o.refund_ids),
        ]  # fmt: skip
    waiting = [
        [r.event_id, r.refund_id, r.amount_minor, _ms(r.occurred_at)] for r in state.awaiting_order.get(order_id, ())
    ]
    return orjson.dumps({"earned": earned, "awaiting": waiting})


def load_order(
    order: tuple[str, bytes | None] | None,
) -> tuple[dict[str, EarnedOrder], dict[str, tuple[RefundAwaitingOrder, ...]]]:
    if order is None or (stored := order[1]) is None:
        return {}, {}
    order_id = order[0]
    raw = orjson.loads(stored)
    earned = {}
    if raw["earned"] is not None:
        entry, points, total, version, qualifying, refunded, clawed, ids = raw["earned"]
        earned[order_id] = EarnedOrder(entry, points, total, version, qualifying, refunded, clawed, frozenset(ids))
    waiting = tuple(
        RefundAwaitingOrder(event_id, order_id, refund_id, amount, _at(ms) or datetime.min.replace(tzinfo=UTC))
        for event_id, refund_id, amount, ms in raw["awaiting"]
    )
    return earned, ({order_id: waiting} if waiting else {})


def order_key(customer_key: bytes, order_id: str) -> bytes:
    return customer_key + b"\x00order\x00" + order_id.encode()


def dump_shop(shop: ShopHours) -> bytes:
    return orjson.dumps(shop.issued)


def load_shop(raw: bytes | None) -> ShopHours:
    return ShopHours() if raw is None else ShopHours(orjson.loads(raw))


def seen_key(customer_key: bytes, event_id: str) -> bytes:
    """State key of the marker that an event was applied (one small record per event)."""
    return customer_key + b"\x00seen\x00" + event_id.encode()


def task_ref_key(customer_key: bytes, once: str) -> bytes:
    """State key of the marker that a `(task, ref)` that pays once was paid (one small record each)."""
    return customer_key + b"\x00task\x00" + once.encode()


def shop_key(shop_id: str) -> bytes:
    """State key of a shop's issued points per hour (the circuit breaker), per partition."""
    return b"\x00shop\x00" + shop_id.encode()
