"""The records the projector reads, from the wire: each ledger entry kind, outcomes, requests, rewards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.common import topics
from services.common.codec import Codec
from services.readmodels import messages
from services.readmodels.folds import Share
from services.readmodels.folds.accounts import CommandRejected, StatusChanged
from services.readmodels.folds.redemptions import Decided, Requested
from services.readmodels.folds.rewards import RewardRecord, RewardVersion

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
LATER = AT + timedelta(days=30)
codec = Codec()
COMMON = {"shop_id": "north", "customer_id": "ada", "occurred_at": AT}


def wire(name: str, record: dict[str, Any]) -> Any:
    return codec.decode(codec.encode(name, record))


def test_a_clawback_on_the_wire_is_a_claim_that_keeps_what_tiers_need() -> None:
    record = COMMON | {
        "entry_id": "c-1", "points": 30, "source_event_id": "refund-1", "order_id": "o-1", "refund_id": "r-1",
        "reason": "refund", "lot_id": "lot-1", "earned_entry_id": "lot-1", "refunded_minor": 500, "qualifying": False,
        "rule_version": 4, "may_go_negative": True,
    }  # fmt: skip
    ledger = messages.ledger_record(wire("PointsClawedBack", record), 1, 7)
    assert (ledger.kind, ledger.points, ledger.lot_id, ledger.earned_entry_id) == ("clawback_claimed", 30, "lot-1",
                                                                                   "lot-1")  # fmt: skip
    assert (ledger.qualifying, ledger.rule_version, ledger.partition, ledger.offset) == (False, 4, 1, 7)


def test_a_collection_carries_its_shares_what_it_could_not_take_and_what_is_owed() -> None:
    record = COMMON | {
        "entry_id": "k-1", "source_event_id": "refund-1", "reason": "refund", "claim_entry_id": "c-1", "points": 25,
        "uncollected": 0, "owed": 5, "lots": [{"lot_id": "lot-1", "points": 20, "expires_at": LATER},
                                              {"lot_id": "lot-2", "points": 5, "expires_at": None}],
    }  # fmt: skip
    ledger = messages.ledger_record(wire("ClawbackCollected", record), 0, 3)
    assert (ledger.kind, ledger.points, ledger.owed, ledger.uncollected, ledger.qualifying) == (
        "clawed_back", 25, 5, 0, False,
    )  # fmt: skip
    assert ledger.shares == (Share("lot-1", 20, LATER), Share("lot-2", 5))


def test_every_debit_and_credit_of_the_redeem_service_maps_to_its_kind() -> None:
    base = COMMON | {"entry_id": "x", "source_event_id": "s", "reason": "r"}
    lots = [{"lot_id": "lot-1", "points": 10, "expires_at": LATER}]
    cases = {
        "PointsRedeemed": (base | {"points": 10, "redemption_id": "red-1", "reward_id": "mug", "lots": lots},
                           "redeemed"),
        "PointsRestored": (base | {"points": 10, "redemption_id": "red-1", "lots": lots}, "restored"),
        "PointsExpired": (base | {"points": 10, "lot_id": "lot-1"}, "expired"),
        "PointsAdjusted": (base | {"points": -12, "adjustment_id": "a", "actor": "k", "lots": lots, "uncovered": 2},
                           "adjusted"),
        "PointsTransferred": (base | {"points": -10, "transfer_id": "t", "counterparty_id": "bo", "lots": lots},
                              "transferred"),
    }  # fmt: skip
    for name, (record, kind) in cases.items():
        ledger = messages.ledger_record(wire(name, record), 0, 0)
        assert (ledger.kind, ledger.points, ledger.qualifying) == (kind, record["points"], False)
    adjusted = messages.ledger_record(wire("PointsAdjusted", cases["PointsAdjusted"][0]), 0, 0)
    assert (adjusted.owed, adjusted.shares) == (2, (Share("lot-1", 10, LATER),))


def test_outcomes_become_redemption_stages_freezes_and_refused_commands() -> None:
    approved = COMMON | {"redemption_id": "red-1", "reward_id": "mug", "quantity": 2, "points": 200,
                         "cash_minor": None, "code": "C-1", "shipping_id": None, "prize": None}  # fmt: skip
    decided = messages.outcome(wire("RedemptionApproved", approved), 2, 9)
    assert isinstance(decided, Decided)
    assert (decided.status, decided.points, decided.code, decided.position) == (
        "approved", 200, "C-1", f"{topics.REDEMPTION_OUTCOMES.name}:2:9",
    )  # fmt: skip
    reversed_ = messages.outcome(wire("RedemptionReversed", COMMON | {"redemption_id": "red-1", "points_restored": 150,
                                                                     "reason": "returned"}), 2, 10)  # fmt: skip
    assert isinstance(reversed_, Decided)
    assert (reversed_.status, reversed_.points_restored, reversed_.reason) == ("reversed", 150, "returned")
    status = COMMON | {"frozen": True, "reason": "fraud", "actor": "admin-key:x"}
    assert messages.outcome(wire("AccountStatusChanged", status), 1, 4) == StatusChanged(
        "north", "ada", AT, True, "fraud", "admin-key:x", 1, 4
    )
    refused = COMMON | {"command_id": "adj-1", "kind": "adjustment", "reason": "insufficient_points"}
    assert messages.outcome(wire("AccountCommandRejected", refused), 1, 5) == CommandRejected(
        "north", "ada", "adj-1", "adjustment", "insufficient_points", AT, 1, 5
    )


def test_of_the_requests_topic_only_redemption_requests_are_read() -> None:
    request = COMMON | {"event_id": "e-1", "redemption_id": "red-1", "reward_id": "mug", "quantity": 3}
    assert messages.redemption_request(wire("RedemptionRequested", request), 0, 1) == Requested(
        "north", "ada", "red-1", "mug", 3, None, AT, 0, 1
    )
    freeze = COMMON | {"event_id": "e-2", "frozen": True, "reason": "r", "actor": "a"}
    assert messages.redemption_request(wire("FreezeChanged", freeze), 0, 2) is None


def test_a_reward_version_goes_on_the_wire_as_reward_configured_and_reads_back_the_same() -> None:
    version = RewardVersion("north", "mug", 2, AT, "admin-key:abc", {"name": "Mug", "kind": "physical", "stock": 5})
    decoded = wire("RewardConfigured", messages.reward_configured(version))
    assert messages.reward_record(decoded, 1, 8) == RewardRecord(version, 1, 8)
