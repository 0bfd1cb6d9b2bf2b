"""The gateway's read models as folds of the logs, pure (standard library only)."""

from services.gateway.readmodel.ledger import (
    Balance,
    BalanceView,
    CustomerKey,
    InvalidEntry,
    LedgerRecord,
    LedgerRow,
    Lot,
    Projection,
    evolve,
    project,
    view,
)

__all__ = [
    "Balance", "BalanceView", "CustomerKey", "InvalidEntry", "LedgerRecord", "LedgerRow", "Lot", "Projection",
    "evolve", "project", "view",
]  # fmt: skip
