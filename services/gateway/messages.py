"""Decoded Avro records of the logs the projector reads -> the read models' input records.

`loyalty.ledger` (PointsEarned, PointsClawedBack), `loyalty.tiers` (TierChanged) and
`loyalty.programs` (ProgramConfigured), each at its log position.
"""

from __future__ import annotations

import json

from services.common import topics
from services.common.codec import Decoded
from services.gateway.readmodel import LedgerRecord
from services.gateway.readmodel.programs import ProgramRecord, ProgramVersion
from services.gateway.readmodel.tiers import TierChange

KIND_OF = {"PointsEarned": "earned", "PointsClawedBack": "clawed_back"}


def record_types() -> dict[str, tuple[str, ...]]:
    """What each topic carries (topic names depend on the namespace setting, so it is read when called)."""
    return {topic.name: topic.records for topic in (topics.LEDGER, topics.TIERS, topics.PROGRAMS)}


def ledger_record(decoded: Decoded, partition: int, offset: int) -> LedgerRecord:
    r = decoded.record
    clawback = decoded.name == "PointsClawedBack"
    return LedgerRecord(
        r["entry_id"], r["shop_id"], r["customer_id"], KIND_OF[decoded.name], r["points"], r["reason"],
        r["source_event_id"], r["occurred_at"], r["lot_id"], r.get("available_at"), r.get("expires_at"), partition,
        offset, qualifying=r["qualifying"], rule_version=r["rule_version"],
        may_go_negative=clawback and r["may_go_negative"], earned_entry_id=r.get("earned_entry_id"),
    )  # fmt: skip


def tier_change(decoded: Decoded, partition: int, offset: int) -> TierChange:
    r = decoded.record
    return TierChange(
        r["shop_id"], r["customer_id"], r["occurred_at"], r["from_tier"], r["to_tier"], r["reason"],
        r["qualifying_points"], partition, offset,
    )  # fmt: skip


def program_record(decoded: Decoded, partition: int, offset: int) -> ProgramRecord:
    r = decoded.record
    version = ProgramVersion(
        r["shop_id"], r["version"], r["effective_from"], r["configured_at"], r["actor"], json.loads(r["rules"])
    )
    return ProgramRecord(version, partition, offset)


def program_configured(version: ProgramVersion) -> dict[str, object]:
    """The `ProgramConfigured` record of a version (what `program_record` reads back)."""
    return {
        "shop_id": version.shop_id,
        "version": version.version,
        "effective_from": version.effective_from,
        "configured_at": version.configured_at,
        "actor": version.actor,
        "rules": json.dumps(version.rules),
    }
