"""Shopify webhooks as the contract's events: signatures, money in minor units, orders and refunds."""

from __future__ import annotations

import base64
import hashlib
import hmac
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.codec import Codec
from services.earn.currencies import FOUR_DECIMAL, THREE_DECIMAL, TWO_DECIMAL, ZERO_DECIMAL, minor_unit_exponent
from services.gateway import shopify
from services.gateway.inputs import from_json

CURRENCIES = sorted(ZERO_DECIMAL | TWO_DECIMAL | THREE_DECIMAL | FOUR_DECIMAL)


def paid(**changes: Any) -> dict[str, Any]:
    return {
        "id": 820982911946154508, "currency": "USD", "total_price": "199.65",
        "processed_at": "2026-05-01T10:00:00-04:00", "created_at": "2026-05-01T09:59:00-04:00",
        "customer": {"id": 115310627314723954, "email": "ada@example.com"},
        "line_items": [
            {"id": 1, "sku": "TEA-1", "product_type": "grocery", "quantity": 3, "price": "50.00"},
            {"id": 2, "sku": "", "variant_id": 808950810, "product_type": "", "quantity": 1, "price": "49.65"},
        ],
    } | changes  # fmt: skip


def refund(**changes: Any) -> dict[str, Any]:
    return {
        "id": 509562969, "order_id": 820982911946154508, "created_at": "2026-05-03T12:00:00Z",
        "transactions": [
            {"kind": "refund", "status": "success", "amount": "41.94", "currency": "USD"},
            {"kind": "refund", "status": "failure", "amount": "41.94", "currency": "USD"},
            {"kind": "sale", "status": "success", "amount": "5.00", "currency": "USD"},
            {"kind": "refund", "status": "success", "amount": "8.06", "currency": "USD"},
        ],
        "refund_line_items": [
            {"quantity": 1, "line_item": {"sku": "TEA-1", "product_type": "grocery", "price": "50.00"}},
        ],
    } | changes  # fmt: skip


def test_a_signature_is_the_base64_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"id": 1}'
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert shopify.signature("s3cret", body) == expected
    assert shopify.signed("s3cret", body, expected)


@pytest.mark.parametrize("presented", [None, "", "bm9wZQ==", "héllo"])
def test_a_missing_wrong_or_garbled_signature_is_refused(presented: str | None) -> None:
    assert not shopify.signed("s3cret", b"{}", presented)


def test_a_signature_for_another_body_or_secret_is_refused() -> None:
    assert not shopify.signed("s3cret", b'{"id": 2}', shopify.signature("s3cret", b'{"id": 1}'))
    assert not shopify.signed("other", b"{}", shopify.signature("s3cret", b"{}"))


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("199.65", "USD", 19965), ("12", "USD", 1200), ("0.5", "EUR", 50), ("1500", "JPY", 1500), ("1500.00", "JPY", 1500),
     ("1.234", "KWD", 1234), ("10.50", "CNY", 1050), ("0", "USD", 0), ("0.10", "USD", 10)],
)  # fmt: skip
def test_decimal_strings_become_minor_units_by_the_currencys_exponent(amount: str, currency: str, minor: int) -> None:
    assert shopify.minor_units(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [("1.005", "USD", "amount"), ("1500.5", "JPY", "amount"), ("-1.00", "USD", "amount"), ("1e3", "USD", "amount"),
     (" 1.00", "USD", "amount"), ("", "USD", "amount"), (12.5, "USD", "amount"), (None, "USD", "amount"),
     ("1.00", "XYZ", "currency"), ("1.00", "usd", "currency")],
)  # fmt: skip
def test_money_that_is_not_exact_in_the_currency_is_refused_never_rounded(amount: Any, currency: str, field: str):
    with pytest.raises(shopify.InvalidWebhook) as refused:
        shopify.minor_units(amount, currency)
    assert refused.value.field == field


@given(st.integers(0, 10**15), st.sampled_from(CURRENCIES), st.integers(0, 3))
def test_any_amount_printed_with_its_currencys_decimals_parses_back_to_itself(minor: int, currency: str, zeros: int):
    exponent = minor_unit_exponent(currency) or 0
    whole, fraction = divmod(minor, 10**exponent)
    printed = f"{whole}.{fraction:0{exponent}d}{'0' * zeros}" if exponent or zeros else str(whole)
    assert shopify.minor_units(printed, currency) == minor


@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False), st.sampled_from(CURRENCIES))
def test_a_decimal_parses_to_its_exact_minor_units_or_is_refused(amount: Decimal, currency: str) -> None:
    scaled = amount.scaleb(minor_unit_exponent(currency) or 0)
    try:
        minor = shopify.minor_units(f"{amount:f}", currency)
    except shopify.InvalidWebhook:
        assert scaled != scaled.to_integral_value()
    else:
        assert minor == scaled


def test_a_paid_order_is_an_order_paid_with_shopifys_ids_and_integer_money() -> None:
    event = shopify.order_paid("north", paid())
    assert isinstance(event, dict)
    assert event["event_id"] == "shopify:order:820982911946154508"
    assert (event["customer_id"], event["order_id"]) == ("115310627314723954", "820982911946154508")
    assert (event["currency"], event["total_minor"]) == ("USD", 19965)
    assert event["occurred_at"] == "2026-05-01T10:00:00-04:00"
    assert event["lines"] == [
        {"sku": "TEA-1", "category": "grocery", "quantity": 3, "unit_price_minor": 5000},
        {"sku": "variant_id:808950810", "category": "uncategorized", "quantity": 1, "unit_price_minor": 4965},
    ]


def test_the_translated_events_read_as_the_contracts_avro_records() -> None:
    codec = Codec()
    name, record = from_json(codec, shopify.order_paid("north", paid(processed_at=None)))
    assert (name, record["shop_id"]) == ("OrderPaid", "north")
    assert record["occurred_at"].isoformat() == "2026-05-01T09:59:00-04:00"
    name, record = from_json(codec, shopify.refunded("north", refund(), "115310627314723954", "USD"))
    assert (name, record["customer_id"], record["amount_minor"]) == ("OrderRefunded", "115310627314723954", 5000)


def test_an_order_without_a_customer_is_ignored_with_a_reason() -> None:
    for order in (paid(customer=None), {k: v for k, v in paid().items() if k != "customer"}, paid(customer={})):
        assert shopify.order_paid("north", order) == shopify.Ignored(
            "no_customer", "order 820982911946154508 has no customer to credit"
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"id": None}, "id"), ({"currency": None}, "currency"), ({"total_price": 199.65}, "total_price"),
     ({"processed_at": None, "created_at": None}, "processed_at"), ({"line_items": {"a": 1}}, "line_items"),
     ({"customer": {"id": True}}, "customer.id")],
)  # fmt: skip
def test_an_order_missing_what_the_contract_needs_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(shopify.InvalidWebhook) as refused:
        shopify.order_paid("north", paid(**changes))
    assert refused.value.field == field


def test_a_refund_sums_its_successful_refund_transactions_and_keeps_its_lines() -> None:
    event = shopify.refunded("north", refund(), "ada", "USD")
    assert (event["event_id"], event["order_id"], event["refund_id"]) == (
        "shopify:refund:509562969", "820982911946154508", "509562969"
    )  # fmt: skip
    assert (event["customer_id"], event["amount_minor"], event["occurred_at"]) == ("ada", 5000, "2026-05-03T12:00:00Z")
    assert event["lines"] == [{"sku": "TEA-1", "category": "grocery", "quantity": 1, "unit_price_minor": 5000}]


def test_a_refund_without_lines_or_transactions_is_an_amount_of_zero_without_lines() -> None:
    event = shopify.refunded("north", refund(transactions=[], refund_line_items=[]), "ada", "JPY")
    assert (event["amount_minor"], event["lines"]) == (0, None)


def test_a_refund_in_another_currency_than_its_order_is_refused() -> None:
    with pytest.raises(shopify.InvalidWebhook) as refused:
        shopify.refunded("north", refund(), "ada", "EUR")
    assert refused.value.field == "transactions[0].currency"
