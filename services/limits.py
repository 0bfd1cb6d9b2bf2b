"""The contract's limits: how long every id and text may be, how large every amount, how far every time.

Pure, one table: the gateway refuses beyond it (422 naming the field), every processor checks each
record it reads against it (`breach`; beyond it, the record is dead-lettered with the reason), the
domains and document readers take their maxima from it. README "Limits" shows the table.

Text is counted in characters (Unicode code points); UTF-8 takes at most 4 bytes for one. The read
models index text in composite keys and a PostgreSQL btree entry holds at most 2704 bytes: the widest
key, `shipping_addresses (shop_id, customer_id, redemption_id)`, takes at most 4 x (64 + 256 + 128) =
1792 bytes. A customer key `{shop_id}:{customer_id}` has at most 321 characters (1284 bytes).

Why no sum overflows a signed 64-bit integer (Avro `long`, PostgreSQL `bigint`: 9.2 x 10^18):
- Money: an amount is at most 10^13 minor units; weighted by multipliers of at most 1,000 it stays
  under 10^16, and an order's refunds (at most `REFUNDS_PER_ORDER`) sum to at most 10^15.
- Points: one credit, adjustment, transfer or price per unit is at most 10^12 (`POINTS`); the earn
  domain refuses an order whose rules would give more. A customer's lifetime credits from earn, the
  net of their adjustments and what they sent and received by transfer are each at most 10^15
  (`BALANCE`): a credit beyond is refused with its reason. Every debit takes points the customer
  holds, so redeemed, expired, clawed back and owed are each at most the credits, 3 x 10^15. A
  shop's sums over its customers are PostgreSQL `numeric` (`sum` of `bigint`) and Python integers.
- Counts: a quantity is at most 10^6, so a reward's price for one redemption, 10^12 x 10^6, fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SHOP_ID, CUSTOMER_ID, ID, NAME, REASON = 64, 256, 128, 200, 1000
AMOUNT = 10**13
"""Money: minor units of one amount (an order total, a refund, a line's unit price, a cash part)."""
POINTS = 10**12
"""Points of one credit, adjustment or transfer; a reward's price per unit; any number of points a
program sets (bonuses, task points, caps, thresholds of a transfer)."""
BALANCE = 10**15
"""A customer's balance, and each of their totals that a credit adds to."""
QUANTITY = 10**6
MULTIPLIER = 1000
"""The largest multiplier (category, SKU, tier, campaign) and the largest points per currency unit."""
DAYS = 36_600
"""Any number of days a program sets (lot lifetime, return window, grace, hold)."""
TIER_WINDOW_DAYS = 3_660
"""A tier window: a customer's tier state keeps at most an entry per day of it beyond its bound."""
REFUNDS_PER_ORDER = 100
LINES, TAGS, ITEMS = 1000, 100, 10_000
"""Items of an order's lines, of a customer's tags, of any other list."""
TIERS, TASKS, THRESHOLDS, TRANSFERS_PER_DAY = 50, 100, 100, 1000
"""The most a program may name: tiers, tasks, balance thresholds, and transfers a customer may send a day."""
DOCUMENT = 512 * 1024
"""Characters of a program's or a reward's JSON document."""
EVENT_BYTES = 512 * 1024
"""An event encoded in Avro, so it and its dead letter fit the broker's 1 MB."""
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
"""Event times are in [EARLIEST, LATEST); times derived from them (expiry dates) before `DERIVED`."""
DERIVED = datetime(2500, 1, 1, tzinfo=UTC)
EARLIEST_MS, LATEST_MS = 946_684_800_000, 7_258_118_400_000
"""The same bounds in epoch milliseconds."""
KEY = SHOP_ID + 1 + CUSTOMER_ID

TEXT: dict[str, int] = {
    "shop_id": SHOP_ID, "customer_id": CUSTOMER_ID, "to_customer_id": CUSTOMER_ID,
    "from_customer_id": CUSTOMER_ID, "counterparty_id": CUSTOMER_ID,
    **dict.fromkeys(
        ("event_id", "source_event_id", "order_id", "refund_id", "redemption_id", "reward_id", "adjustment_id",
         "transfer_id", "command_id", "entry_id", "lot_id", "lots.lot_id", "claim_entry_id", "earned_entry_id",
         "shipping_id"), ID),
    "lines.sku": 255, "lines.category": 255, "currency": 3, "task": 100, "ref": 255, "reason": REASON,
    "actor": NAME, "tags": 100, "code": NAME, "prize": NAME, "tier": 100, "from_tier": 100, "to_tier": 100,
    **dict.fromkeys(("shipping_address.name", "shipping_address.line1", "shipping_address.line2",
                     "shipping_address.city", "shipping_address.region", "multipliers.name", "bonuses.name"), NAME),
    "shipping_address.postal_code": 32, "shipping_address.country": 2, "rules": DOCUMENT, "reward": DOCUMENT,
}  # fmt: skip
"""Characters per field, by its path in the record (`lines.sku`); other text: `NAME`."""

SIGNED = (-BALANCE, BALANCE)
NUMBERS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(("total_minor", "amount_minor", "lines.unit_price_minor", "cash_minor", "order_total_minor"),
                    (0, AMOUNT)),
    "refunded_minor": (0, AMOUNT * REFUNDS_PER_ORDER), "weighted_minor": (0, AMOUNT * MULTIPLIER),
    "lines.quantity": (0, QUANTITY), "quantity": (-(2**31), QUANTITY),
    **dict.fromkeys(("points", "base_points", "capped_points", "bonuses.points", "lots.points", "owed", "uncollected",
                     "uncovered", "points_restored", "qualifying_points", "threshold", "available"), SIGNED),
    "multipliers.numerator": (0, POINTS), "multipliers.denominator": (1, POINTS),
    "birth_month": (1, 12), "birth_day": (1, 31),
}  # fmt: skip
"""Inclusive range per integer field; a command's points are narrower (`COMMAND_POINTS`)."""
NUL = "contains the NUL character (U+0000), which the read models cannot store"
"""Text with U+0000 is refused too: PostgreSQL's text and jsonb cannot hold it."""
COMMAND_POINTS = {"AdjustmentRequested", "TransferRequested", "TransferReceived"}
EVENT_TIMES = frozenset({"occurred_at", "now", "effective_from", "configured_at"})
LISTS = {"lines": LINES, "tags": TAGS}


@dataclass(frozen=True)
class Breach:
    """The first field beyond its limit (`lines[2].sku`) and what the limit is."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field} {self.message}"


def breach(record: Mapping[str, Any], name: str = "", key: bytes | None = None) -> Breach | None:
    """Why the record `name` (or its Kafka key) is beyond the limits or carries NUL text, or None. Never echoes
    the value."""
    if (found := _fields(record, "", name)) is not None or key is None or len(key) <= 4 * KEY:
        return found
    return Breach("the key", f"takes {len(key)} bytes, more than {4 * KEY}")


def numbers(name: str, path: str) -> tuple[int, int] | None:
    """The inclusive range of an integer field of record `name`, if it has one."""
    if path == "points" and name in COMMAND_POINTS:
        return -POINTS, POINTS
    return NUMBERS.get(path)


def _fields(record: Mapping[str, Any], prefix: str, name: str) -> Breach | None:
    for field, value in record.items():
        kind = type(value)  # text within its limit, and null, the most of any record, without a call each
        if (kind is str and len(value) <= TEXT.get(prefix + field, NAME) and "\x00" not in value) or value is None:
            continue
        if (found := _value(value, prefix + field, name)) is not None:
            return Breach(field + found.field, found.message)
    return None


def _value(value: Any, path: str, name: str) -> Breach | None:
    """What is beyond the limit in `value`, found at `path`; the breach names the field below `value`."""
    kind = type(value)
    if kind is str:
        return _text(value, path)
    if value is None:
        return None
    if kind is int or kind is bool or kind is float:
        return None if (bounds := numbers(name, path)) is None else _number(value, *bounds)
    if kind is datetime:
        low, high = (EARLIEST, LATEST) if path in EVENT_TIMES else (EARLIEST, DERIVED)
        return None if low <= (value if value.tzinfo else value.replace(tzinfo=UTC)) < high else _time(low, high)
    if kind is dict or isinstance(value, Mapping):
        found = _fields(value, path + ".", name)
        return None if found is None else Breach("." + found.field, found.message)
    if kind is list:
        if len(value) > (most := LISTS.get(path, ITEMS)):
            return Breach("", f"has {len(value)} items, more than {most}")
        for i, item in enumerate(value):
            if (found := _value(item, path, name)) is not None:
                return Breach(f"[{i}]{found.field}", found.message)
    return None


def _text(value: str, path: str) -> Breach | None:
    if len(value) > (longest := TEXT.get(path, NAME)):
        return Breach("", f"has {len(value)} characters, more than {longest}")
    return Breach("", NUL) if "\x00" in value else None


def _number(value: float, low: int, high: int) -> Breach | None:
    if type(value) is not int:
        return Breach("", "must be an integer")
    if low <= value <= high:
        return None
    return Breach(
        "", f"is negative (it must be from 0 to {high:,})" if value < low == 0 else f"must be from {low:,} to {high:,}"
    )


def _time(low: datetime, high: datetime) -> Breach:
    return Breach("", f"must be from {low:%Y-%m-%d} to before {high:%Y-%m-%d}")


def describe(name: str, path: str, kind: str) -> str | None:
    """The limit of field `path` of record `name` in words, for the schema's docs; `kind` is its Avro type
    (`string`, `long`, `int`, `timestamp-millis`, `array`)."""
    if kind == "string":
        return f"At most {TEXT.get(path, NAME):,} characters."
    if kind in ("long", "int") and (bounds := numbers(name, path)) is not None:
        return f"From {bounds[0]:,} to {bounds[1]:,}."
    if kind == "timestamp-millis":
        return f"From {EARLIEST:%Y-%m-%d} to before {(LATEST if path in EVENT_TIMES else DERIVED):%Y-%m-%d}."
    if kind == "array":
        return f"At most {LISTS.get(path, ITEMS):,} items."
    return None
