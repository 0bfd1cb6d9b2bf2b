"""The table of limits: every text, amount, time and list beyond it is named; within it, nothing is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import limits
from services.common import topics
from services.common.schemas import contract

MIGRATIONS = Path(limits.__file__).parent / "schema"
BTREE_ENTRY = 2704
"""The largest btree index entry PostgreSQL stores (a third of an 8 kB page, less headers)."""
AT = datetime(2026, 11, 20, tzinfo=UTC)


LINE = {"sku": "tea", "category": "grocery", "quantity": 1, "unit_price_minor": 500}


def order(**changes: object) -> dict[str, object]:
    line = LINE
    return {"event_id": "e-1", "shop_id": "north", "customer_id": "ada", "occurred_at": AT, "order_id": "o-1",
            "currency": "USD", "total_minor": 500, "lines": [line]} | changes  # fmt: skip


def test_an_order_within_every_limit_breaks_none() -> None:
    assert limits.breach(order(), "OrderPaid", b"north:ada") is None


@pytest.mark.parametrize("path", sorted(limits.TEXT))
def test_every_text_one_character_beyond_its_limit_is_named_and_not_echoed(path: str) -> None:
    longest = limits.TEXT[path]
    parent, _, field = path.rpartition(".")

    def record(text: str) -> dict[str, object]:
        return {parent: [{field: text}]} if parent else {field: text}

    assert limits.breach(record("\U0001f600" * longest), "Any") is None
    found = limits.breach(record("x" * (longest + 1)), "Any")
    assert found is not None
    assert found.field == (f"{parent}[0].{field}" if parent else field)
    assert str(longest) in found.message
    assert "xx" not in str(found)


@given(text=st.text(max_size=40), at=st.integers(min_value=0, max_value=40))
def test_text_with_the_nul_character_anywhere_is_named_and_nothing_else_is_taken_for_it(text: str, at: int) -> None:
    sku = text[:at] + "\x00" + text[at:]
    found = limits.breach(order(lines=[LINE, LINE | {"sku": sku}]), "OrderPaid")
    assert found is not None
    assert (found.field, found.message) == ("lines[1].sku", limits.NUL)
    clean = text.replace("\x00", "")
    assert limits.breach(order(lines=[LINE | {"sku": clean}]), "OrderPaid") is None


@given(total=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_an_order_total_is_refused_exactly_outside_zero_to_ten_to_the_thirteenth(total: int) -> None:
    found = limits.breach(order(total_minor=total), "OrderPaid")
    assert (found is None) == (0 <= total <= 10**13)
    if found is not None:
        assert found.field == "total_minor"


@given(points=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_a_commands_points_are_bounded_tighter_than_a_ledger_entrys(points: int) -> None:
    adjustment = limits.breach({"points": points}, "AdjustmentRequested")
    entry = limits.breach({"points": points}, "PointsRedeemed")
    assert (adjustment is None) == (abs(points) <= limits.POINTS)
    assert (entry is None) == (abs(points) <= limits.BALANCE)


def test_a_line_beyond_its_limits_is_named_with_its_index() -> None:
    big = order(lines=[LINE, {"sku": "x", "category": "y", "quantity": 10**7, "unit_price_minor": 1}])
    assert str(limits.breach(big, "OrderPaid")) == "lines[1].quantity must be from 0 to 1,000,000"
    many = order(lines=[{"sku": "x", "category": "y", "quantity": 1, "unit_price_minor": 1}] * (limits.LINES + 1))
    assert str(limits.breach(many, "OrderPaid")) == f"lines has {limits.LINES + 1} items, more than {limits.LINES}"


def test_a_number_where_an_integer_is_due_is_named() -> None:
    assert str(limits.breach(order(total_minor=1.5), "OrderPaid")) == "total_minor must be an integer"
    assert str(limits.breach(order(total_minor=True), "OrderPaid")) == "total_minor must be an integer"


@pytest.mark.parametrize(
    ("at", "refused"),
    [(limits.EARLIEST, False), (limits.LATEST - timedelta(milliseconds=1), False),
     (limits.EARLIEST - timedelta(milliseconds=1), True), (limits.LATEST, True),
     (datetime(9999, 1, 1, tzinfo=UTC), True)],
)  # fmt: skip
def test_an_event_time_is_refused_outside_the_years_2000_to_2200(at: datetime, refused: bool) -> None:
    found = limits.breach(order(occurred_at=at), "OrderPaid")
    assert (found is not None) == refused
    assert found is None or found.field == "occurred_at"


def test_a_lot_may_expire_after_the_latest_event_time_but_not_after_the_derived_bound() -> None:
    assert limits.breach({"expires_at": datetime(2300, 1, 1, tzinfo=UTC)}, "PointsEarned") is None
    assert limits.breach({"expires_at": datetime(2600, 1, 1, tzinfo=UTC)}, "PointsEarned") is not None


def test_a_key_longer_than_any_customer_key_is_refused_without_echoing_it() -> None:
    assert limits.breach(order(), "OrderPaid", b"k" * (4 * limits.KEY)) is None
    found = limits.breach(order(), "OrderPaid", b"k" * (4 * limits.KEY + 1))
    assert found is not None
    assert "kk" not in str(found)


def indexed_columns() -> list[tuple[str, list[str]]]:
    """Every index and primary key of the read-model migrations, with its columns."""
    keys = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        sql = path.read_text()
        single = re.findall(r"^\s+(\w+)\s+text\s+(?:NOT NULL\s+)?(?:PRIMARY KEY|UNIQUE)", sql, re.MULTILINE)
        keys += [(path.name, [column]) for column in single]
        for columns in re.findall(r"(?:PRIMARY KEY|ON \w+) \(([^)]*)\)", sql):
            keys.append((path.name, [c.split()[0] for c in columns.split(",")]))
    return keys


WIDEST_BYTES = {
    "shop_id": 4 * limits.SHOP_ID, "customer_id": 4 * limits.CUSTOMER_ID,
    **dict.fromkeys(("redemption_id", "reward_id", "order_id", "command_id", "entry_id", "lot_id"), 4 * limits.ID),
    "kind": 4 * 20, "topic": 4 * 255, "key_id": 64, "key_sha256": 64, "credential": 64, "idempotency_key": 255,
}  # fmt: skip
"""UTF-8 bytes of each indexed text column at its longest; other columns are numbers and times (8 bytes)."""
NOT_TEXT = {
    "partition", "customer_partition", "version", "ledger_offset", "expires_at", "effective_from", "created_at",
    "erased_at", "touched_at",
}  # fmt: skip


def test_every_index_of_the_read_models_fits_a_btree_entry_at_the_longest_utf8() -> None:
    keys = indexed_columns()
    assert len(keys) > 15, "the migrations were not read"
    for migration, columns in keys:
        unknown = [c for c in columns if c not in WIDEST_BYTES and c not in NOT_TEXT]
        assert not unknown, f"{migration}: give {unknown} a limit (services/limits.py) and a width here"
        width = sum(WIDEST_BYTES.get(c, 8) + 4 for c in columns) + 16  # varlena and tuple headers
        assert width < BTREE_ENTRY, f"{migration} {columns}: {width} bytes"


READ_BY_PROCESSORS = sorted(
    {record for topic in (topics.ORDERS, topics.TASKS, topics.CUSTOMERS, topics.REDEMPTION_REQUESTS, topics.LEDGER,
                          topics.TIERS) for record in topic.records}
)  # fmt: skip


def fields_of(fields: list[dict[str, Any]], prefix: str = "") -> Iterator[tuple[str, str | None, str]]:
    """(path, Avro kind, doc) of every field, nested records' fields included."""
    for field in fields:
        path, kind = prefix + field["name"], field["type"]
        types = [t for t in (kind if isinstance(kind, list) else [kind]) if t != "null"]
        single = types[0] if len(types) == 1 else None
        name = single.get("logicalType") or single["type"] if isinstance(single, dict) else single
        yield path, name, field.get("doc", "")
        for t in types:
            record = t.get("items", t) if isinstance(t, dict) else None
            if isinstance(record, dict) and record.get("type") == "record":
                yield from fields_of(record["fields"], path + ".")


@pytest.mark.parametrize("name", READ_BY_PROCESSORS)
def test_the_schemas_docs_state_the_limit_of_every_field_a_processor_checks(name: str) -> None:
    for path, kind, doc in fields_of(contract().current[name].definition["fields"]):
        sentence = limits.describe(name, path, kind or "")
        assert sentence is None or sentence.rstrip(".") in doc, f"{name}.{path}: say {sentence!r}"
