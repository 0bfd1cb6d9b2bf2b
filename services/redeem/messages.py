"""Avro records <-> the redeem domain's commands and events, by field name.

The domain's dataclasses name their fields as the schemas do; lot shares travel as records. A
domain field the schema does not carry (bookkeeping such as the command a rejection answers) stays
out of the record; a schema field the domain does not use is dropped when read.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from services import records
from services.common import topics
from services.common.codec import Codec
from services.common.topics import Topic
from services.redeem import events
from services.redeem.lots import LotShare

COMMANDS: dict[str, type[Any]] = {
    "RedemptionRequested": events.RedemptionRequested,
    "RedemptionCancelled": events.RedemptionCancelled,
    "FreezeChanged": events.FreezeChanged,
    "AdjustmentRequested": events.AdjustmentRequested,
    "TransferRequested": events.TransferRequested,
    "TransferReceived": events.TransferReceived,
    "ExpiryTick": events.ExpiryTick,
    "PointsEarned": records.PointsEarned,
    "PointsClawedBack": records.PointsClawedBack,
    "TierChanged": records.TierChanged,
}
"""What the redeem service reads, by record name."""

OWN_ENTRIES = frozenset(
    {
        "ClawbackCollected",
        "PointsRedeemed",
        "PointsRestored",
        "PointsExpired",
        "PointsAdjusted",
        "PointsTransferred",
        "OwedRepaid",
    }
)
"""Ledger records this service writes: applied when decided, ignored when read back."""

WRITTEN: dict[type[Any], Topic] = {
    events.ClawbackCollected: topics.LEDGER,
    events.PointsRedeemed: topics.LEDGER,
    events.PointsRestored: topics.LEDGER,
    events.PointsExpired: topics.LEDGER,
    events.PointsAdjusted: topics.LEDGER,
    events.PointsTransferred: topics.LEDGER,
    events.OwedRepaid: topics.LEDGER,
    events.RedemptionApproved: topics.REDEMPTION_OUTCOMES,
    events.RedemptionRejected: topics.REDEMPTION_OUTCOMES,
    events.RedemptionReversed: topics.REDEMPTION_OUTCOMES,
    events.AccountCommandRejected: topics.REDEMPTION_OUTCOMES,
    events.AccountStatusChanged: topics.REDEMPTION_OUTCOMES,
    events.BalanceThresholdCrossed: topics.TRIGGERS,
    events.TransferReceived: topics.REDEMPTION_REQUESTS,
}
"""Where each event the domain decides is written; anything else (a credit folded) is not written."""


def command(name: str, record: dict[str, Any]) -> Any:
    """The command of a record; None for the ledger records this service wrote itself."""
    if name in OWN_ENTRIES:
        return None
    if name == "PointsEarned":
        return records.points_earned(record)
    cls = COMMANDS[name]
    fields = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in record.items() if k in fields}
    if "lots" in values:
        values["lots"] = tuple(LotShare(s["lot_id"], s["points"], s.get("expires_at")) for s in values["lots"])
    return cls(**values)


@cache
def _schema_fields(name: str) -> frozenset[str]:
    return frozenset(f["name"] for f in Codec().schema(name).definition["fields"])


def record(event: Any) -> dict[str, Any]:
    """The Avro record of a domain event; fields the schema does not carry are left out."""
    name = type(event).__name__
    wanted = _schema_fields(name)
    out: dict[str, Any] = {}
    for field in dataclasses.fields(event):
        if field.name not in wanted:
            continue
        value = getattr(event, field.name)
        if field.name == "lots":
            value = [{"lot_id": s.lot_id, "points": s.points, "expires_at": s.expires_at} for s in value]
        out[field.name] = value
    return out
