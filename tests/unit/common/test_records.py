"""Each record described once (`services.records`, and each service's own commands and events) agrees with
its Avro schema: the schemas are the contract.

Same fields in the same order; each Python type the one the Avro type decodes to; optional (`X | None`)
exactly where the schema allows null; a default, where the dataclass has one, the schema's. An array is
a tuple; its items, a pair of (name, exact fraction) or (name, points), are checked by a round trip.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from services import records
from services.common.codec import Codec
from services.common.schemas import SCHEMAS_DIR, load

RECORDS = (records.PointsEarned, records.PointsClawedBack, records.TierChanged)
AVRO = {"string": str, "long": int, "int": int, "boolean": bool}


def python_type(avro: Any) -> tuple[type, bool]:
    """The Python type an Avro field's type decodes to, and whether it may be null."""
    if isinstance(avro, list):
        [kind] = [t for t in avro if t != "null"]
        return python_type(kind)[0], "null" in avro
    if isinstance(avro, dict):
        if avro.get("logicalType") == "timestamp-millis":
            return datetime, False
        if avro["type"] == "array":
            return tuple, False
        return python_type(avro["type"])
    return AVRO[avro], False


def declared(hint: Any) -> tuple[type, bool]:
    """A dataclass field's type, and whether it is optional."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        [kind] = [a for a in args if a is not type(None)]
        return declared(kind)[0], True
    return typing.get_origin(hint) or hint, False


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_each_record_s_dataclass_has_its_schema_s_fields_types_optionality_and_defaults(cls: type[Any]) -> None:
    schema = load(SCHEMAS_DIR / f"{cls.__name__}.avsc").definition
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)

    assert [f.name for f in fields] == [f["name"] for f in schema["fields"]]
    for field, avro in zip(fields, schema["fields"], strict=True):
        assert declared(hints[field.name]) == python_type(avro["type"]), field.name
        if field.default is not dataclasses.MISSING:
            assert "default" in avro, f"{field.name} has a default the schema does not"
            assert field.default == (tuple(avro["default"]) if isinstance(avro["default"], list) else avro["default"])


def test_a_credit_with_multipliers_and_bonuses_survives_the_wire_exactly() -> None:
    at = datetime(2026, 5, 4, 12, tzinfo=UTC)
    credit = records.PointsEarned(
        entry_id="e-1", shop_id="shop", customer_id="ada", occurred_at=at, points=150, source_event_id="paid-1",
        source_type="OrderPaid", order_id="o-1", reason="order o-1", lot_id="e-1", available_at=at, expires_at=at,
        rule_version=3, tier="gold", multipliers=(("tier:gold", Fraction(3, 2)),), weighted_minor=10_000,
        base_points=100, bonuses=(("first_order", 50),), order_total_minor=10_000,
    )  # fmt: skip
    codec = Codec()

    decoded = codec.decode(codec.encode("PointsEarned", records.points_earned_record(credit)))

    assert records.points_earned(decoded.record) == credit


def test_a_tier_change_survives_the_wire_exactly() -> None:
    change = records.TierChanged("shop", "ada", datetime(2026, 5, 4, tzinfo=UTC), "member", "gold", "upgrade", 5_000)
    codec = Codec()

    decoded = codec.decode(codec.encode("TierChanged", records.to_record(change)))

    assert records.from_record(records.TierChanged, decoded.record) == change


DOMAIN_ONLY = {
    "RedemptionApproved": {"source_event_id"},
    "RedemptionRejected": {"source_event_id"},
    "RedemptionReversed": {"source_event_id", "not_restored"},
    "AccountCommandRejected": {"source_event_id"},
    "AccountStatusChanged": {"source_event_id"},
}
"""Bookkeeping a decision carries that its record does not (the command it answers): `messages` leaves it out."""
WIRE_ONLY = {
    "RedemptionRequested": {"shipping_address"},
    "CustomerUpdated": {"shop_id", "customer_id"},
    "OrderRefunded": {"lines"},
}
"""Schema fields a service's dataclass does not read (the address stays with the gateway's personal data; the
key says whose profile it is; a refund's lines are the shop's record, the amount decides)."""


def wire_dataclasses() -> list[type[Any]]:
    """Every dataclass of the services named after a schema: commands read from the wire, events written to it."""
    from services.earn import commands as earn_commands
    from services.redeem import events as redeem_events

    found = [
        cls
        for module in (earn_commands, redeem_events)
        for cls in vars(module).values()
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
    ]
    return [cls for cls in found if (SCHEMAS_DIR / f"{cls.__name__}.avsc").exists()]


@pytest.mark.parametrize("cls", wire_dataclasses(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_service_dataclass_of_a_record_has_its_schema_s_fields_and_types(cls: type[Any]) -> None:
    """The services map records to these dataclasses by field name, so a field is the schema's or named above."""
    schema = {f["name"]: f["type"] for f in load(SCHEMAS_DIR / f"{cls.__name__}.avsc").definition["fields"]}
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}

    assert names - set(schema) == DOMAIN_ONLY.get(cls.__name__, set())
    assert set(schema) - names == WIRE_ONLY.get(cls.__name__, set())
    for name in names & set(schema):
        kind, optional = declared(hints[name])
        expected = python_type(schema[name])
        assert (tuple if kind is frozenset else kind, optional) == expected, name  # an array may be a set
