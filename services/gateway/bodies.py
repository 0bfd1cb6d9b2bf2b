"""The JSON bodies of the gateway's commands, validated before anything is published.

Strict: no unknown fields, no numbers as strings, every id, text and number within the contract's
limits (`services.limits`); a refusal is a 422 naming the field. What only the balance owner can
judge (enough points, the reward in stock, a shop's limits) is left to the redeem service, which
answers with an outcome.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services import limits

Id = Annotated[str, Field(min_length=1, max_length=limits.ID, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
CustomerId = Annotated[str, Field(min_length=1, max_length=limits.CUSTOMER_ID)]
Text = Annotated[str, Field(min_length=1, max_length=limits.REASON)]
Line = Annotated[str, Field(min_length=1, max_length=limits.NAME)]
MAX_POINTS = limits.POINTS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ShippingAddress(Strict):
    name: Line
    line1: Line
    line2: Line | None = None
    city: Line
    region: Line | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=limits.TEXT["shipping_address.postal_code"])]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


class RedemptionBody(Strict):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"customer_id": "c-1001", "reward_id": "mug", "quantity": 1, "redemption_id": "r-77"}]
        },
    )

    customer_id: CustomerId
    reward_id: Id
    quantity: Annotated[int, Field(ge=1, le=limits.QUANTITY)] = 1
    cash_minor: Annotated[int, Field(ge=0, le=limits.AMOUNT)] | None = Field(
        None, description="the cash part of a points + cash reward, in minor units"
    )
    shipping_address: ShippingAddress | None = None
    redemption_id: Id | None = Field(None, description="yours to choose, so a retry is the same redemption")


class CancelBody(Strict):
    reason: Text = Field(description='e.g. "returned"')


class AdjustmentBody(Strict):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"points": 500, "reason": "apology for a late delivery", "adjustment_id": "adj-2026-0042"}]
        },
    )

    points: Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS, description="signed; never 0")]
    reason: Text
    may_go_negative: bool = Field(False, description="a debit may take the available balance below zero")
    adjustment_id: Id | None = Field(None, description="yours to choose, so a retry is the same adjustment")

    @field_validator("points")
    @classmethod
    def moves_points(cls, points: int) -> int:
        if points == 0:
            raise ValueError("an adjustment adds or takes points: not 0")
        return points


class FreezeBody(Strict):
    reason: Text


class TransferBody(Strict):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"from_customer_id": "c-1001", "to_customer_id": "c-2002", "points": 300, "transfer_id": "t-9"}
            ]
        },
    )

    from_customer_id: CustomerId
    to_customer_id: CustomerId
    points: Annotated[int, Field(ge=1, le=MAX_POINTS)]
    transfer_id: Id | None = Field(None, description="yours to choose, so a retry is the same transfer")

    @field_validator("to_customer_id")
    @classmethod
    def another_member(cls, to: str, info: ValidationInfo) -> str:
        if to == info.data.get("from_customer_id"):
            raise ValueError("a transfer goes to another member")
        return to
