"""The codec: single-object encoding by default, Confluent framing with a registry, clear errors."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.codec import Codec, DecodeError
from services.common.registry import ConfluentRegistry
from services.common.schemas import contract
from tests.unit.common.avro_samples import sample

codec = Codec()


def order() -> dict[str, object]:
    return {
        "event_id": "e-1",
        "shop_id": "shop",
        "customer_id": "c-1",
        "occurred_at": datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
        "order_id": "o-1",
        "currency": "USD",
        "total_minor": 12_345,
        "lines": [{"sku": "s", "category": "books", "quantity": 1, "unit_price_minor": 12_345}],
    }


def test_an_event_is_framed_with_the_single_object_header_and_its_fingerprint() -> None:
    data = codec.encode("OrderPaid", order())
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == contract().current["OrderPaid"].fingerprint


@pytest.mark.parametrize("name", sorted(contract().current))
def test_every_record_type_round_trips(name: str) -> None:
    rng = random.Random(name)
    for _ in range(20):
        record = sample(contract().current[name].definition, rng)
        decoded = codec.decode(codec.encode(name, record))
        assert decoded.name == name
        assert decoded.record == record


@given(st.binary(max_size=64))
def test_garbage_bytes_raise_a_decode_error_and_nothing_else(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        codec.decode(data)


def test_a_truncated_event_is_reported_as_corrupt() -> None:
    with pytest.raises(DecodeError, match="corrupt"):
        codec.decode(codec.encode("OrderPaid", order())[:-5])


def test_an_unknown_fingerprint_is_named_in_the_error() -> None:
    with pytest.raises(DecodeError, match="unknown schema fingerprint"):
        codec.decode(b"\xc3\x01" + b"\x00" * 8 + b"\x02")


def test_a_confluent_framed_event_needs_a_registry() -> None:
    with pytest.raises(DecodeError, match="no schema registry"):
        codec.decode(b"\x00\x00\x00\x00\x01\x02")


def test_with_a_registry_events_are_written_in_confluent_framing_and_both_framings_are_read() -> None:
    registered = Codec(registry=ConfluentRegistry("mock://pointstream-test"))
    data = registered.encode("OrderPaid", order(), topic="shop.orders")
    assert data[0] == 0
    assert registered.decode(data).record == order()
    assert registered.decode(codec.encode("OrderPaid", order())).record == order()
