"""The shapes the API answers with (README: The contract); they are also the OpenAPI document's schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict, description="e.g. the `field` at fault")


class ErrorBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "invalid_event",
                        "message": "total_minor: must be >= 0",
                        "details": {"index": 0, "field": "total_minor"},
                    }
                }
            ]
        }
    )

    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


class ExpiringLot(BaseModel):
    points: int
    expires_at: datetime


class BalanceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "c-1001",
                    "available": 1250,
                    "pending": 80,
                    "lifetime_earned": 2130,
                    "redeemed": 800,
                    "expired": 0,
                    "clawed_back": 0,
                    "owed": 0,
                    "adjusted": 0,
                    "transferred_in": 0,
                    "transferred_out": 0,
                    "tier": "silver",
                    "frozen": False,
                    "expiring": [
                        {"points": 450, "expires_at": "2027-03-02T10:00:00Z"},
                        {"points": 880, "expires_at": "2027-06-11T16:20:00Z"},
                    ],
                    "position": "3:1042",
                }
            ]
        }
    )

    customer_id: str
    available: int = Field(description="negative while a clawback the shop lets go below zero is not repaid")
    pending: int = Field(description="points still inside the return window")
    lifetime_earned: int
    redeemed: int
    expired: int
    clawed_back: int = Field(description="points taken back by refunds")
    owed: int = Field(description="how far below zero the balance went; the next credits repay it first")
    adjusted: int = Field(description="staff adjustments, signed")
    transferred_in: int
    transferred_out: int
    tier: str
    frozen: bool
    expiring: list[ExpiringLot] = Field(description="every upcoming lot, soonest expiry first")
    position: str = Field(description="`partition:next_offset` of the ledger the balance reflects")


class LedgerEntryOut(BaseModel):
    entry_id: str
    kind: str = Field(
        description="`earned`, `clawback_claimed` (a refund's claim: 0 points; `claimed` says how many it asks back), "
        "`clawed_back` (what the claim collected), `redeemed`, `restored`, `expired`, `adjusted`, `transferred` or "
        "`owed_repaid` (a credit that repaid points owed)"
    )
    points: int = Field(description="signed: what the entry changed the balance by")
    balance_after: int
    reason: str
    source_event_id: str
    occurred_at: datetime
    uncollected: int = Field(0, description="a clawback's points the balance did not cover; present only when not 0")
    claimed: int = Field(0, description="what a clawback claim asks back; present only when not 0")


class LedgerPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entries": [
                        {
                            "entry_id": "3f1c…",
                            "kind": "redeemed",
                            "points": -800,
                            "balance_after": 1250,
                            "reason": "reward mug",
                            "source_event_id": "r-77",
                            "occurred_at": "2026-11-20T10:04:00Z",
                        },
                        {
                            "entry_id": "9a2e…",
                            "kind": "earned",
                            "points": 123,
                            "balance_after": 2050,
                            "reason": "order",
                            "source_event_id": "e-41",
                            "occurred_at": "2026-11-19T18:30:00Z",
                        },
                    ],
                    "next_cursor": "MTAzOQ",
                }
            ]
        }
    )

    entries: list[LedgerEntryOut]
    next_cursor: str | None = Field(description="pass as `cursor` for older entries; null on the last page")


class Accepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"accepted": 2, "positions": ["shop.orders:3:1041", "shop.orders:3:1042"]}]}
    )

    accepted: int
    positions: list[str] = Field(description="`topic:partition:offset` of each event, in request order")


class TierOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tier": "silver",
                    "qualifying_points": 1320,
                    "window_days": 365,
                    "next_tier": "gold",
                    "points_to_next": 3680,
                    "since": "2026-08-02T09:00:00Z",
                    "window_mode": "rolling",
                    "window_starts_at": "2025-11-26T00:00:00Z",
                    "grace_days": 0,
                }
            ]
        }
    )

    tier: str
    qualifying_points: int = Field(description="earned minus clawed back inside the window, never below 0")
    window_days: int = Field(description="`days` of a rolling window; the length of the year for a calendar year")
    next_tier: str | None = Field(description="null at the top tier")
    points_to_next: int
    since: datetime | None = Field(description="when the customer reached the tier; null if never changed")
    window_mode: str = Field(description="`rolling` or `calendar_year`")
    window_starts_at: datetime
    grace_days: int


class ProgramAccepted(BaseModel):
    version: int
    effective_from: datetime
    position: str = Field(description="`topic:partition:offset` of the version on loyalty.programs")


class ProgramOut(BaseModel):
    version: int = Field(description="0 (the built-in defaults) until a version is configured")
    effective_from: datetime | None
    configured_at: datetime | None
    actor: str | None
    rules: dict[str, Any] = Field(description="the document as configured: what the shop set")
    effective_rules: dict[str, Any] = Field(
        description="the program the services apply: every setting, those left out at their defaults"
    )


class Queued(BaseModel):
    position: str = Field(description="`topic:partition:offset` of the command on loyalty.redemption-requests")


class RedemptionQueued(Queued):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"redemption_id": "r-77", "position": "loyalty.redemption-requests:3:512"}]}
    )

    redemption_id: str


class AdjustmentQueued(Queued):
    adjustment_id: str


class TransferQueued(Queued):
    transfer_id: str


class FreezeQueued(Queued):
    command_id: str = Field(description="the command's event id, which a refusal names")


class RedemptionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "redemption_id": "r-77",
                    "customer_id": "c-1001",
                    "reward_id": "mug",
                    "quantity": 1,
                    "status": "approved",
                    "reason": None,
                    "code": None,
                    "prize": None,
                    "shipping_id": "ship-r-77",
                    "shipping_address": {
                        "name": "Ada Lovelace",
                        "line1": "12 St James's Square",
                        "line2": None,
                        "city": "London",
                        "region": None,
                        "postal_code": "SW1Y 4JH",
                        "country": "GB",
                    },
                    "points": 800,
                    "points_restored": 0,
                    "cash_minor": None,
                    "requested_at": "2026-11-20T10:03:59Z",
                    "updated_at": "2026-11-20T10:04:00Z",
                    "position": "loyalty.redemption-outcomes:3:88",
                }
            ]
        }
    )

    redemption_id: str
    customer_id: str
    reward_id: str
    quantity: int | None = Field(description="null while only a rejection is known")
    status: str = Field(description="`pending` (no outcome yet), `approved`, `rejected` or `reversed`")
    reason: str | None = Field(description="why it was rejected or reversed")
    code: str | None = Field(None, description="a coupon's code")
    prize: str | None = Field(None, description="a lottery draw's prize")
    shipping_id: str | None = Field(None, description="a physical reward's shipping record")
    shipping_address: dict[str, str | None] | None = Field(
        None, description="where to ship it, as given with the request; null once the customer's data is erased"
    )
    points: int = Field(description="debited on approval")
    points_restored: int = Field(description="given back by a reversal")
    cash_minor: int | None
    requested_at: datetime | None
    updated_at: datetime | None = Field(description="time of the outcome")
    position: str | None = Field(description="`topic:partition:offset` of the outcome; null while pending")
