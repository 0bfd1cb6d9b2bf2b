"""What the redeem service reads and writes, as the domain sees it (README). Pure.

Commands come from `loyalty.redemption-requests`; `PointsEarned` and `PointsClawedBack` are facts
from `loyalty.ledger`, earn's records, described once in `services.records`. Fields match the Avro
schemas of the same name, with two domain-only additions: `source_event_id` on outcomes (so the fold
knows the command was handled) and `RedemptionReversed.not_restored`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.ids import derived_id
from services.records import PointsClawedBack, PointsEarned
from services.redeem.lots import LotShare


class ContractViolation(ValueError):
    """The input breaks a rule of the contract (README: The contract); it goes to the dead-letter topic."""


def entry_id(shop_id: str, source: str, kind: str) -> str:
    """Deterministic, so a replay or a retried transaction writes the same entry (128-bit hex)."""
    return derived_id(shop_id, source, kind)


# Commands


@dataclass(frozen=True)
class RedemptionRequested:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    redemption_id: str
    reward_id: str
    quantity: int = 1
    cash_minor: int | None = None


@dataclass(frozen=True)
class RedemptionCancelled:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    redemption_id: str
    reason: str
    actor: str


@dataclass(frozen=True)
class FreezeChanged:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    frozen: bool
    reason: str
    actor: str


@dataclass(frozen=True)
class AdjustmentRequested:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    adjustment_id: str
    points: int
    reason: str
    actor: str
    may_go_negative: bool = False


@dataclass(frozen=True)
class TransferRequested:
    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    transfer_id: str
    to_customer_id: str
    points: int
    actor: str = "customer"


@dataclass(frozen=True)
class TransferReceived:
    """The credit side of an approved transfer: written by the sender's decision, read by the recipient's."""

    event_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    transfer_id: str
    from_customer_id: str
    points: int
    lots: tuple[LotShare, ...]


@dataclass(frozen=True)
class ExpiryTick:
    partition: int
    now: datetime


# Ledger entries written


@dataclass(frozen=True)
class ClawbackCollected:
    """What the lots gave for a clawback claim; `points + uncollected + owed` is what was claimed."""

    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    source_event_id: str
    """The refund event of the claim."""
    reason: str
    claim_entry_id: str
    points: int
    """Collected from lots."""
    lots: tuple[LotShare, ...]
    uncollected: int = 0
    """Beyond the balance and not allowed below zero: not taken."""
    owed: int = 0
    """Taken below zero; the next credits repay it."""


@dataclass(frozen=True)
class OwedRepaid:
    """What the customer owed, repaid from the lot of a credit of earn's: written, so every reader of
    the ledger repays from the same lot (earn's credit may sit before the debt's entry in the log)."""

    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    source_event_id: str
    reason: str
    points: int
    lots: tuple[LotShare, ...]


@dataclass(frozen=True)
class PointsRedeemed:
    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    source_event_id: str
    reason: str
    points: int
    redemption_id: str
    reward_id: str
    lots: tuple[LotShare, ...]


@dataclass(frozen=True)
class PointsRestored:
    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    source_event_id: str
    reason: str
    points: int
    redemption_id: str
    lots: tuple[LotShare, ...]


@dataclass(frozen=True)
class PointsExpired:
    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    source_event_id: str
    """The lot's id: expiry has no command of its own."""
    reason: str
    points: int
    lot_id: str


@dataclass(frozen=True)
class PointsAdjusted:
    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    source_event_id: str
    reason: str
    points: int
    """Signed."""
    adjustment_id: str
    actor: str
    lots: tuple[LotShare, ...]
    available_at: datetime | None = None
    expires_at: datetime | None = None
    uncovered: int = 0
    """A debit's points beyond what the lots held: owed."""


@dataclass(frozen=True)
class PointsTransferred:
    entry_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    source_event_id: str
    reason: str
    points: int
    """Signed: negative out of the sender's lots, positive into new lots of the recipient."""
    transfer_id: str
    counterparty_id: str
    lots: tuple[LotShare, ...]


# Outcomes and triggers


@dataclass(frozen=True)
class RedemptionApproved:
    redemption_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    reward_id: str
    quantity: int
    points: int
    source_event_id: str
    cash_minor: int | None = None
    code: str | None = None
    prize: str | None = None
    shipping_id: str | None = None
    entry_id: str | None = None


@dataclass(frozen=True)
class RedemptionRejected:
    redemption_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    reward_id: str
    reason: str
    source_event_id: str


@dataclass(frozen=True)
class RedemptionReversed:
    redemption_id: str
    shop_id: str
    customer_id: str
    occurred_at: datetime
    points_restored: int
    reason: str
    source_event_id: str
    not_restored: tuple[LotShare, ...] = ()
    """Shares of lots expired by the cancellation's time: not given back."""


@dataclass(frozen=True)
class AccountCommandRejected:
    command_id: str
    kind: str
    """adjustment, transfer, freeze or cancellation."""
    shop_id: str
    customer_id: str
    occurred_at: datetime
    reason: str
    source_event_id: str


@dataclass(frozen=True)
class AccountStatusChanged:
    shop_id: str
    customer_id: str
    occurred_at: datetime
    frozen: bool
    reason: str
    actor: str
    source_event_id: str


@dataclass(frozen=True)
class BalanceThresholdCrossed:
    shop_id: str
    customer_id: str
    occurred_at: datetime
    threshold: int
    direction: str
    """up or down."""
    available: int


Command = (
    RedemptionCancelled | FreezeChanged | AdjustmentRequested | TransferRequested | TransferReceived | ExpiryTick
    | PointsEarned | PointsClawedBack
)  # fmt: skip
"""Everything `domain.decide` takes; a `RedemptionRequested` goes through `decide_redemption` and `approve`."""

LedgerEntry = (
    ClawbackCollected
    | PointsRedeemed
    | PointsRestored
    | PointsExpired
    | PointsAdjusted
    | PointsTransferred
    | OwedRepaid
)
Outcome = RedemptionApproved | RedemptionRejected | RedemptionReversed | AccountCommandRejected | AccountStatusChanged
Event = LedgerEntry | Outcome | BalanceThresholdCrossed | TransferReceived | PointsEarned
"""What a decision returns, to fold and to write. `PointsEarned` is earn's fact, folded and never written
again; `TransferReceived` goes to the recipient's key on `loyalty.redemption-requests`."""
