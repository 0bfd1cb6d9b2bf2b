"""Redemptions in the read model: requested, then decided, maybe reversed, whatever order the two topics arrive in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.gateway import commands
from services.gateway.bodies import AdjustmentBody, RedemptionBody, TransferBody
from services.readmodels.folds import accounts
from services.readmodels.folds.accounts import CommandRejected, StatusChanged
from services.readmodels.folds.redemptions import Decided, Redemption, Requested, project, same_request

AT = datetime(2026, 6, 1, tzinfo=UTC)
KEY = ("shop", "red-1")


def asked(quantity: int = 2, cash: int | None = None) -> Requested:
    return Requested("shop", "ada", "red-1", "mug", quantity, cash, AT)


def outcome(status: Any, offset: int = 0, **fields: Any) -> Decided:
    return Decided(status, "shop", "ada", "red-1", AT + timedelta(seconds=offset + 1), f"outcomes:0:{offset}", 0,
                   offset, **fields)  # fmt: skip


APPROVED = outcome("approved", 1, reward_id="mug", quantity=2, points=140, code="C-9")


def test_a_request_is_pending_until_its_outcome_and_an_approval_carries_what_was_handed_out() -> None:
    [pending] = project({}, [asked()]).values()
    assert (pending.status, pending.quantity, pending.requested_at, pending.position) == ("pending", 2, AT, None)
    [approved] = project({KEY: pending}, [APPROVED]).values()
    assert (approved.status, approved.points, approved.code, approved.requested_at) == ("approved", 140, "C-9", AT)
    assert approved.position == "outcomes:0:1"


def test_a_reversal_is_final_and_keeps_what_the_approval_said() -> None:
    reversed_ = outcome("reversed", 2, reason="returned", points_restored=100)
    [state] = project({}, [asked(), APPROVED, reversed_, APPROVED]).values()
    assert (state.status, state.reason, state.points, state.points_restored, state.code) == (
        "reversed", "returned", 140, 100, "C-9",
    )  # fmt: skip


def test_an_outcome_read_before_its_request_is_kept_and_the_request_only_fills_what_was_missing() -> None:
    rejected = outcome("rejected", 1, reward_id="mug", reason="insufficient_points")
    [state] = project({}, [rejected, asked(quantity=3, cash=500)]).values()
    assert (state.status, state.reason, state.quantity, state.cash_minor, state.requested_at) == (
        "rejected", "insufficient_points", 3, 500, AT,
    )  # fmt: skip


BO: list[Requested | Decided] = [
    Requested("shop", "bo", "red-1", "cap", 1, None, AT),
    Decided("rejected", "shop", "bo", "red-1", AT, "outcomes:1:0", 1, 0, reward_id="cap", reason="redemption_id_taken"),
    Decided("rejected", "shop", "bo", "red-1", AT, "outcomes:1:1", 1, 1, reward_id="cap", reason="frozen"),
]
"""Another customer's request under ada's redemption id, refused as taken (or for a reason of its own)."""


@given(st.permutations([asked(), APPROVED, *BO]))
def test_another_customers_request_under_the_same_id_never_changes_the_redemption_whatever_the_order(
    records: list[Requested | Decided],
) -> None:
    [state] = project({}, records).values()
    assert (state.customer_id, state.status, state.reward_id, state.quantity, state.code, state.points) == (
        "ada", "approved", "mug", 2, "C-9", 140,
    )  # fmt: skip


def test_a_redemption_id_used_by_another_customer_alone_stays_that_customers() -> None:
    [state] = project({}, BO).values()
    assert (state.customer_id, state.status, state.reason) == ("bo", "rejected", "frozen")


def test_the_same_redemption_id_asked_again_is_a_repeat_only_for_the_same_request() -> None:
    known = Redemption("shop", "red-1", "ada", "mug", 2, None)
    assert same_request(known, "ada", "mug", 2, None)
    assert not same_request(known, "bo", "mug", 2, None)
    assert not same_request(known, "ada", "mug", 1, None)
    assert same_request(Redemption("shop", "red-1", "ada", "mug"), "ada", "mug", 5, 100)  # only a rejection known


def test_the_last_freeze_of_each_customer_wins_and_each_refused_command_is_kept_once() -> None:
    changes = [StatusChanged("shop", "ada", AT, frozen, "r", "k", 0, i) for i, frozen in enumerate([True, False, True])]
    assert {c: s.frozen for c, s in accounts.frozen(changes).items()} == {("shop", "ada"): True}
    refused = [CommandRejected("shop", "ada", "adj-1", "adjustment", reason, AT) for reason in ("a", "b")]
    assert [r.reason for r in accounts.rejections(refused)] == ["b"]


def test_a_command_sent_again_has_the_same_event_id_and_its_time_is_kept_at_the_millisecond() -> None:
    assert commands.event_id("north", "adjustment", "a-1") == commands.event_id("north", "adjustment", "a-1")
    assert commands.event_id("north", "adjustment", "a-1") != commands.event_id("south", "adjustment", "a-1")
    assert commands.now().microsecond % 1000 == 0


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (RedemptionBody, {"customer_id": "ada", "reward_id": "mug", "quantity": 0}, "quantity"),
        (RedemptionBody, {"customer_id": "ada", "reward_id": "mug", "quantity": "2"}, "quantity"),
        (RedemptionBody, {"customer_id": "ada", "reward_id": "mug", "colour": "red"}, "colour"),
        (RedemptionBody, {"customer_id": "ada", "reward_id": "mug", "cash_minor": -1}, "cash_minor"),
        (RedemptionBody, {"customer_id": "ada", "reward_id": "a/b"}, "reward_id"),
        (RedemptionBody, {"customer_id": "ada", "reward_id": "mug", "shipping_address": {"name": "A"}},
         "shipping_address"),
        (AdjustmentBody, {"points": 0, "reason": "why"}, "points"),
        (AdjustmentBody, {"points": 10}, "reason"),
        (TransferBody, {"from_customer_id": "ada", "to_customer_id": "ada", "points": 5}, "to_customer_id"),
        (TransferBody, {"from_customer_id": "ada", "to_customer_id": "bo", "points": 0}, "points"),
    ],
)  # fmt: skip
def test_a_command_body_that_breaks_the_rules_names_the_field(model: Any, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate_json(json.dumps(body))
    assert refused.value.errors()[0]["loc"][0] == field
