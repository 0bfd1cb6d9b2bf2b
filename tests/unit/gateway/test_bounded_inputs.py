"""Every id, text and number the gateway takes is within the contract's limits, or refused naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services import limits
from services.gateway import shopify
from services.gateway.bodies import AdjustmentBody, RedemptionBody, TransferBody
from tests.unit.gateway.test_shopify import paid, refund


@pytest.mark.parametrize(
    ("order", "field"),
    [(paid(id="9" * 3000), "id"), (paid(customer={"id": "c" * 3000}), "customer.id"),
     (paid(total_price="9" * 5000), "total_price"), (paid(currency="X" * 600_000), "currency")],
)  # fmt: skip
def test_a_shopify_order_with_an_id_or_amount_beyond_the_limits_is_refused_before_anything_is_remembered(
    order: dict[str, Any], field: str
) -> None:
    with pytest.raises(shopify.InvalidWebhook) as refused:
        shopify.order_paid("north", order)
    assert refused.value.field == field
    assert len(str(refused.value)) < 200


def test_a_shopify_refund_with_a_long_id_is_refused_and_its_event_id_stays_within_the_limit() -> None:
    with pytest.raises(shopify.InvalidWebhook):
        shopify.refunded("north", refund(id="r" * (shopify.LONGEST_ID + 1)), "ada", "USD")
    longest = shopify.refunded("north", refund(id="r" * shopify.LONGEST_ID), "ada", "USD")
    assert len(longest["event_id"]) == limits.ID


VALID: dict[Any, dict[str, Any]] = {
    RedemptionBody: {"customer_id": "ada", "reward_id": "mug"},
    AdjustmentBody: {"points": 5, "reason": "sorry"},
    TransferBody: {"from_customer_id": "ada", "to_customer_id": "bo", "points": 5},
}


@pytest.mark.parametrize(
    ("body", "changes", "field"),
    [(RedemptionBody, {"customer_id": "c" * 257}, "customer_id"),
     (RedemptionBody, {"quantity": 10**6 + 1}, "quantity"), (RedemptionBody, {"cash_minor": 10**13 + 1}, "cash_minor"),
     (RedemptionBody, {"reward_id": "r" * 129}, "reward_id"),
     (AdjustmentBody, {"points": 10**12 + 1}, "points"), (AdjustmentBody, {"reason": "r" * 1001}, "reason"),
     (TransferBody, {"points": -1}, "points"), (TransferBody, {"to_customer_id": "c" * 257}, "to_customer_id")],
)  # fmt: skip
def test_a_command_beyond_the_limits_is_refused_naming_the_field(body: Any, changes: dict[str, Any], field: str):
    valid = VALID[body]
    body.model_validate(valid)
    with pytest.raises(ValidationError) as refused:
        body.model_validate(valid | changes)
    assert refused.value.errors()[0]["loc"] == (field,)
