"""A customer's account stays bounded whatever they send: handled ids are forgotten after a window of event time,
refusals beyond a count; a duplicate is recognised inside the window and never debits twice outside it."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import limits
from services.redeem.account import Totals
from services.redeem.decider import Shop
from services.redeem.events import (
    AccountCommandRejected,
    ContractViolation,
    PointsAdjusted,
    PointsRedeemed,
    RedemptionRejected,
    RedemptionReversed,
    TransferReceived,
)
from services.redeem.lots import LotShare
from services.redeem.retention import Retention
from services.redeem.state import dump_account, load_account
from tests.unit.redeem.support import (
    ADA,
    BOB,
    DAY,
    SECRET,
    SHOP,
    T0,
    Input,
    World,
    adjust,
    cancel,
    earned,
    freeze,
    of_type,
    transfer,
)
from tests.unit.redeem.support import request as redemption

SHORT = Retention(duplicates=timedelta(days=30), redemptions=timedelta(days=90), refusals=20)


def world(retention: Retention = SHORT) -> World:
    return World(shop=Shop(secret=SECRET, retention=retention))


def test_ten_thousand_rejected_redemptions_leave_the_state_small_and_the_latest_ones_recognised() -> None:
    ran = world(Retention())
    ran.send(earned(50))
    for n in range(10_000):
        ran.send(redemption("mug", at=T0 + n * timedelta(seconds=1), redemption=f"r-{n}", event_id=f"e-{n}"))
    account = ran.account()
    assert len(of_type(ran.events, RedemptionRejected)) == 10_000
    assert (len(account.refused), len(account.rejected_redemptions)) == (500, 500)
    assert len(dump_account(account)) < 40_000
    assert "r-9999" in account.rejected_redemptions
    assert ran.send(redemption("mug", at=T0, redemption="r-9999", event_id="e-9999")) == []  # the duplicate
    with pytest.raises(ContractViolation, match="already decided"):
        ran.send(redemption("mug", at=T0, redemption="r-9999", event_id="another"))


def test_a_redemption_rejected_long_ago_may_be_asked_again_and_is_decided_anew() -> None:
    ran = world()
    ran.send(redemption("mug", redemption="r-1", event_id="e-1"))
    ran.send(earned(500, at=T0 + 31 * DAY))
    [approved] = of_type(
        ran.send(redemption("mug", at=T0 + 31 * DAY, redemption="r-1", event_id="e-2")), PointsRedeemed
    )
    assert approved.points == 100


def test_a_duplicate_inside_the_window_is_ignored_and_one_dated_before_it_is_refused_never_applied_twice() -> None:
    ran = world()
    credit = adjust(100, event_id="a-1")
    ran.send(credit)
    assert ran.send(replace(credit)) == []
    ran.send(freeze(at=T0 + 29 * DAY), freeze(False, at=T0 + 30 * DAY + timedelta(seconds=1)))
    assert "a-1" not in ran.account().seen
    with pytest.raises(ContractViolation, match="cannot be told"):
        ran.send(credit)
    assert ran.account().totals.adjusted == 100
    assert ran.send(adjust(5, at=T0 + 30 * DAY + timedelta(seconds=1))) != []  # on the horizon: decided


def test_a_credit_repeated_after_its_entry_id_was_forgotten_is_recognised_by_its_lot() -> None:
    ran = world()
    credit = earned(100, lot="lot-1")
    ran.send(credit, freeze(at=T0 + 60 * DAY))
    assert "lot-1" not in ran.account().entries
    assert ran.send(credit) == []
    assert ran.account().totals.lifetime_earned == 100


def test_an_approved_redemption_can_be_cancelled_until_the_redemption_window_has_passed() -> None:
    ran = world()
    ran.send(earned(1_000), redemption("mug", redemption="r-1"), redemption("mug", redemption="r-2"))
    assert of_type(ran.send(cancel("r-1", at=T0 + 89 * DAY)), RedemptionReversed)
    ran.send(freeze(at=T0 + 90 * DAY + timedelta(seconds=1)))  # the account's clock passes r-2's window
    [refused] = of_type(ran.send(cancel("r-2", at=T0 + 91 * DAY)), AccountCommandRejected)
    assert refused.reason == "unknown_redemption"
    assert ran.account().redemptions == {}


def test_an_account_stored_before_ids_had_times_loads_with_its_ids_kept_a_window_more() -> None:
    ran = world()
    ran.send(earned(500, lot="lot-1"), redemption("mug", redemption="r-1", event_id="e-1"))
    stored = orjson.loads(dump_account(ran.account()))
    legacy = stored | {"seen": ["e-1"], "entries": ["lot-1"], "rejected_redemptions": ["r-0"], "refused": []}
    del legacy["forgotten_before"]
    legacy["redemptions"]["r-1"].pop("approved_at")
    account = load_account(orjson.dumps(legacy), SHOP, ADA)
    assert (account.seen, account.entries, account.rejected_redemptions) == (
        {"e-1": T0}, {"lot-1": T0}, {"r-0": T0}
    )  # fmt: skip
    assert account.redemptions["r-1"].approved_at == T0


def test_adjustments_and_transfers_that_would_pass_a_customers_total_limit_are_refused() -> None:
    ran = world()
    ran.accounts[ADA] = replace(
        ran.account(), totals=Totals(adjusted=limits.BALANCE - 10, transferred_out=limits.BALANCE)
    )
    ran.send(earned(1_000))
    [refused] = of_type(ran.send(adjust(11)), AccountCommandRejected)
    assert refused.reason == "balance_limit"
    assert of_type(ran.send(adjust(10)), PointsAdjusted)
    [sent] = of_type(ran.send(transfer(5)), AccountCommandRejected)
    assert sent.reason == "balance_limit"
    ran.accounts[BOB] = replace(ran.account(BOB), totals=Totals(transferred_in=limits.BALANCE))
    received = TransferReceived("t-1", SHOP, BOB, T0, "tr-1", ADA, 5, (LotShare("lot-x", 5, T0 + DAY),))
    with pytest.raises(ContractViolation, match="receive more than"):
        ran.send(received)


def command(kind: str, n: int, at: datetime) -> Input:
    match kind:
        case "redeem" | "redeem-again":
            return redemption(
                "gone", at=at, redemption="r-0" if kind == "redeem-again" else f"r-{n}", event_id=f"e-{n}"
            )
        case "adjust" | "overdraw":
            return adjust(1 if kind == "adjust" else -(10**9), at=at, event_id=f"e-{n}")
        case "freeze":
            return freeze(n % 2 == 0, at=at, event_id=f"e-{n}")
        case "credit":
            return earned(1, at=at, lot=f"lot-{n}", lifetime=10 * DAY)
    return cancel(f"r-{n}", at=at, event_id=f"e-{n}")


commands = st.lists(
    st.tuples(
        st.sampled_from(["redeem", "redeem-again", "adjust", "overdraw", "freeze", "credit", "cancel"]),
        st.integers(0, 3 * 24),  # hours since the last command
    ),
    max_size=300,
)


@settings(max_examples=40, deadline=None)
@given(commands)
def test_given_any_sequence_the_state_stays_under_a_bound_and_holds_no_id_before_its_horizon(
    sequence: list[tuple[str, int]],
) -> None:
    ran, at = world(), T0
    for n, (kind, hours) in enumerate(sequence):
        at += timedelta(hours=hours)
        with contextlib.suppress(ContractViolation):  # a reused redemption id: dead-lettered
            ran.send(command(kind, n, at))
        account = ran.account()
        assert len(account.refused) <= SHORT.refusals
        assert len(account.rejected_redemptions) <= SHORT.refusals
        horizon = account.forgotten_before
        if horizon is not None:
            for ids in (account.seen, account.refused, account.entries, account.rejected_redemptions):
                assert all(when >= horizon for when in ids.values())
        assert len(dump_account(account)) < 100_000
