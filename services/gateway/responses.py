"""The shapes the API answers with (DESIGN §3); they are also the OpenAPI document's schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict, description="e.g. the `field` at fault")


class ErrorBody(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


class ExpiringLot(BaseModel):
    points: int
    expires_at: datetime


class BalanceOut(BaseModel):
    customer_id: str
    available: int
    pending: int = Field(description="points still inside the return window")
    lifetime_earned: int
    redeemed: int
    expired: int
    tier: str
    frozen: bool
    expiring: list[ExpiringLot] = Field(description="every upcoming lot, soonest expiry first")
    position: str = Field(description="`partition:next_offset` of the ledger the balance reflects")


class LedgerEntryOut(BaseModel):
    entry_id: str
    kind: str
    points: int
    balance_after: int
    reason: str
    source_event_id: str
    occurred_at: datetime


class LedgerPage(BaseModel):
    entries: list[LedgerEntryOut]
    next_cursor: str | None = Field(description="pass as `cursor` for older entries; null on the last page")


class Accepted(BaseModel):
    accepted: int
    positions: list[str] = Field(description="`topic:partition:offset` of each event, in request order")
