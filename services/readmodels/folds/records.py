"""What the ledger fold reads and keeps: ledger records, balances, ledger rows. Pure.

Kinds of entry (the Avro record each comes from):
`earned` (PointsEarned), `clawback_claimed` (PointsClawedBack: earn's claim, no change to the
balance), `clawed_back` (ClawbackCollected: the redeem service's collection of a claim),
`redeemed` (PointsRedeemed), `restored` (PointsRestored), `expired` (PointsExpired),
`adjusted` (PointsAdjusted) and `transferred` (PointsTransferred).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.readmodels.folds.lots import Share

CustomerKey = tuple[str, str]
"""(shop_id, customer_id)"""
KINDS = (
    "earned", "clawback_claimed", "clawed_back", "redeemed", "restored", "expired", "adjusted", "transferred",
    "owed_repaid",
)  # fmt: skip


@dataclass(frozen=True)
class LedgerRecord:
    entry_id: str
    shop_id: str
    customer_id: str
    kind: str
    points: int
    """As on the wire: signed for `adjusted` and `transferred`, never negative for every other kind."""
    reason: str
    source_event_id: str
    occurred_at: datetime
    lot_id: str | None
    """The lot a credit opens, an expiry empties, or a claim's order earned."""
    available_at: datetime | None
    expires_at: datetime | None
    partition: int
    offset: int
    qualifying: bool = True
    """Counts towards tiers: only earn's credits and claims can."""
    rule_version: int = 0
    earned_entry_id: str | None = None
    """The credit a clawback claim reverses."""
    shares: tuple[Share, ...] = ()
    """The lot shares the redeem service decided: what a debit takes, a restore gives back, a credit opens."""
    owed: int = 0
    """Below zero: a collection's `owed`, an adjustment's `uncovered`."""
    uncollected: int = 0
    """What a collection could not take (the shop does not allow negative balances)."""

    @property
    def customer(self) -> CustomerKey:
        return (self.shop_id, self.customer_id)


@dataclass(frozen=True)
class Balance:
    """`balance` = Σ lots remaining - owed = lifetime_earned + adjusted + transferred_in - transferred_out
    - redeemed - expired - clawed_back."""

    balance: int = 0
    """Points held: every credit minus every debit, whatever the state of their lots."""
    lifetime_earned: int = 0
    redeemed: int = 0
    """Net of points restored."""
    expired: int = 0
    clawed_back: int = 0
    """Taken back by refunds: collected from lots, plus what went below zero."""
    owed: int = 0
    """How far below zero the balance went; the next credits repay it."""
    adjusted: int = 0
    """Staff adjustments, signed."""
    transferred_in: int = 0
    transferred_out: int = 0


@dataclass(frozen=True)
class LedgerRow:
    record: LedgerRecord
    balance_after: int
    points: int
    """Signed: what the entry changed the balance by."""
    uncollected: int = 0
    """What a clawback could not collect (the balance did not cover it and may not go negative)."""

    @property
    def claimed(self) -> int:
        """What a clawback claim asked back (tier progress counts it); 0 for every other kind."""
        return self.record.points if self.record.kind == "clawback_claimed" else 0
