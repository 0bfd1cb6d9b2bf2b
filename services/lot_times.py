"""When a lot's points count: pending until `available_at`, available from then until `expires_at`, gone after.

The one rule behind every balance: the redeem service's (`services.redeem.lots`) and the read model's
(`services.readmodels.folds.lots.view`). SQL that counts lots by time mirrors it: the liability gauges
(`services.gateway.program_metrics.OUTSTANDING_SQL`: available `available_at <= at`, pending
`available_at > at`, both `expires_at > at`) and the balance query's live lots (`services.gateway.queries`:
`expires_at > at`); `tests/integration/gateway/test_lot_times_sql.py` checks they agree. Pure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

Phase = Literal["pending", "available", "gone"]


def phase(available_at: datetime, expires_at: datetime, at: datetime) -> Phase:
    """A lot's phase at `at`: expiry wins over availability (a lot that expires while pending never counts)."""
    if at >= expires_at:
        return "gone"
    return "available" if available_at <= at else "pending"
