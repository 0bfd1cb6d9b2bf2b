"""Decoded Avro records of the logs the projector reads -> the read models' input records.

`loyalty.ledger` (every entry kind), `loyalty.redemption-requests` (only `RedemptionRequested`
is projected), `loyalty.redemption-outcomes`, `loyalty.rewards`, `loyalty.tiers` and
`loyalty.programs`, each at its log position; and back: the records the gateway writes.
"""

from __future__ import annotations

import json
from typing import Any

from services.common import topics
from services.common.codec import Decoded
from services.readmodels.folds import LedgerRecord, Share
from services.readmodels.folds.accounts import CommandRejected, StatusChanged
from services.readmodels.folds.programs import ProgramRecord, ProgramVersion
from services.readmodels.folds.redemptions import Decided, Requested, Status
from services.readmodels.folds.rewards import RewardRecord, RewardVersion
from services.readmodels.folds.tiers import TierChange

KIND_OF = {
    "PointsEarned": "earned", "PointsClawedBack": "clawback_claimed", "ClawbackCollected": "clawed_back",
    "PointsRedeemed": "redeemed", "PointsRestored": "restored", "PointsExpired": "expired",
    "PointsAdjusted": "adjusted", "PointsTransferred": "transferred", "OwedRepaid": "owed_repaid",
}  # fmt: skip
STATUS_OF: dict[str, Status] = {
    "RedemptionApproved": "approved", "RedemptionRejected": "rejected", "RedemptionReversed": "reversed",
}  # fmt: skip
Outcome = Decided | StatusChanged | CommandRejected


def record_types() -> dict[str, tuple[str, ...]]:
    """What each topic the projector reads carries, by the registry (topic names depend on the namespace setting,
    so it is read when called)."""
    return {topic.name: topic.records for topic in topics.inputs_of("projector")}


def ledger_record(decoded: Decoded, partition: int, offset: int) -> LedgerRecord:
    r, earn = decoded.record, decoded.name in ("PointsEarned", "PointsClawedBack")
    return LedgerRecord(
        r["entry_id"], r["shop_id"], r["customer_id"], KIND_OF[decoded.name], r["points"], r["reason"],
        r["source_event_id"], r["occurred_at"], r.get("lot_id"), r.get("available_at"), r.get("expires_at"), partition,
        offset, qualifying=earn and r["qualifying"], rule_version=r.get("rule_version", 0),
        earned_entry_id=r.get("earned_entry_id"),
        shares=tuple(Share(s["lot_id"], s["points"], s.get("expires_at")) for s in r.get("lots", ())),
        owed=r.get("owed", 0) + r.get("uncovered", 0), uncollected=r.get("uncollected", 0),
    )  # fmt: skip


def redemption_request(decoded: Decoded, partition: int, offset: int) -> Requested | None:
    """A request on loyalty.redemption-requests; None for the topic's other records (account commands, ticks)."""
    if decoded.name != "RedemptionRequested":
        return None
    r = decoded.record
    return Requested(r["shop_id"], r["customer_id"], r["redemption_id"], r["reward_id"], r["quantity"],
                     r["cash_minor"], r["occurred_at"], partition, offset, r.get("shipping_address"))  # fmt: skip


def outcome(decoded: Decoded, partition: int, offset: int) -> Outcome:
    r, name = decoded.record, decoded.name
    if name == "AccountStatusChanged":
        return StatusChanged(r["shop_id"], r["customer_id"], r["occurred_at"], r["frozen"], r["reason"], r["actor"],
                             partition, offset)  # fmt: skip
    if name == "AccountCommandRejected":
        return CommandRejected(r["shop_id"], r["customer_id"], r["command_id"], r["kind"], r["reason"],
                               r["occurred_at"], partition, offset)  # fmt: skip
    return Decided(
        STATUS_OF[name], r["shop_id"], r["customer_id"], r["redemption_id"], r["occurred_at"],
        f"{topics.REDEMPTION_OUTCOMES.name}:{partition}:{offset}", partition, offset, reward_id=r.get("reward_id"),
        quantity=r.get("quantity"), points=r.get("points"), cash_minor=r.get("cash_minor"), code=r.get("code"),
        prize=r.get("prize"), shipping_id=r.get("shipping_id"), reason=r.get("reason"),
        points_restored=r.get("points_restored", 0),
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


def reward_record(decoded: Decoded, partition: int, offset: int) -> RewardRecord:
    r = decoded.record
    version = RewardVersion(
        r["shop_id"], r["reward_id"], r["version"], r["configured_at"], r["actor"], json.loads(r["reward"])
    )
    return RewardRecord(version, partition, offset)


def reward_configured(version: RewardVersion) -> dict[str, Any]:
    """The `RewardConfigured` record of a version (what `reward_record` reads back)."""
    return {
        "shop_id": version.shop_id,
        "reward_id": version.reward_id,
        "version": version.version,
        "configured_at": version.configured_at,
        "actor": version.actor,
        "reward": json.dumps(version.document),
    }
