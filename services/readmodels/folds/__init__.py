"""The gateway's read models as folds of the logs, pure (standard library only).

The projector, a rebuild from the logs and the tests all use these, so they agree:
`ledger` (balances, lots and rows from loyalty.ledger, applying the lot shares the redeem service
names: `records`, `entries`, `lots`), `redemptions` (requests and their outcomes), `accounts`
(freezes and refused account commands), `rewards` (the catalog from loyalty.rewards), `tiers`
(each customer's tier from loyalty.tiers), `programs` (versions from loyalty.programs). Tier
progress is counted by the tier service's own rules (`services.tier.progress`).
"""

from services.readmodels.folds.ledger import (
    Balance,
    CustomerKey,
    InvalidEntry,
    LedgerRecord,
    LedgerRow,
    Lots,
    Projection,
    evolve,
    named_lots,
    project,
)
from services.readmodels.folds.lots import BalanceView, HeldLot, Lot, Share, view

__all__ = [
    "Balance", "BalanceView", "CustomerKey", "HeldLot", "InvalidEntry", "LedgerRecord", "LedgerRow", "Lot", "Lots",
    "Projection", "Share", "evolve", "named_lots", "project", "view",
]  # fmt: skip
