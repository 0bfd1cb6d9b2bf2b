"""The tier step over an in-memory state store: sweeps by stream time, per-shop rules, bad entries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output, Rejected
from services.common.programs import ProgramBook, ProgramVersion
from services.common.statestore import StateStore
from services.program import parse_program
from services.records import TierChanged
from services.tier.processor import Tiering
from tests.unit.memory import scratch_store, send
from tests.unit.tier.fold import DAY, T0

YEAR = 365 * DAY


def fresh_store() -> StateStore:
    return scratch_store("tier.customer-state")


def credit(customer: str, points: int, at: datetime, shop: str = "shop", **extra: Any) -> tuple[bytes, Decoded]:
    record = {"entry_id": f"{customer}-{at.isoformat()}", "shop_id": shop, "customer_id": customer,
              "occurred_at": at, "points": points, "qualifying": True} | extra  # fmt: skip
    return topics.customer_key(shop, customer), Decoded("PointsEarned", record)


def apply(step: Tiering, store: StateStore, entry: tuple[bytes, Decoded]) -> list[dict[str, Any]]:
    """One step as the runtime runs it: its writes reach the store only if it succeeds."""
    outputs: list[Output] = send(step, store, *entry)
    assert {o.topic for o in outputs} <= {topics.TIERS}
    return [o.record for o in outputs]


def moves(records: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(r["customer_id"], r["from_tier"], r["to_tier"], r["reason"]) for r in records]


def test_a_customer_who_never_comes_back_is_downgraded_when_stream_time_passes_the_due_moment() -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    assert moves(apply(step, store, credit("gone", 1_000, T0))) == [("gone", "member", "silver", "upgrade")]
    assert apply(step, store, credit("busy", 10, T0 + YEAR - timedelta(seconds=1))) == []
    [downgrade] = apply(step, store, credit("busy", 10, T0 + YEAR + DAY))
    assert moves([downgrade]) == [("gone", "silver", "member", "window")]
    assert downgrade["occurred_at"] == T0 + YEAR
    assert apply(step, store, credit("busy", 10, T0 + 2 * YEAR)) == []


def test_the_sweep_index_lives_in_the_state_store_so_a_restarted_step_still_downgrades() -> None:
    store = fresh_store()
    apply(Tiering(ProgramBook()), store, credit("gone", 5_000, T0))
    apply(Tiering(ProgramBook()), store, credit("gone-too", 1_000, T0 + DAY))
    swept = apply(Tiering(ProgramBook()), store, credit("busy", 10, T0 + 2 * YEAR))
    assert moves(swept) == [("gone", "gold", "member", "window"), ("gone-too", "silver", "member", "window")]


def test_customers_due_on_the_way_are_downgraded_in_the_order_their_downgrades_fell_due() -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    apply(step, store, credit("later", 1_000, T0 + 3 * DAY))
    apply(step, store, credit("sooner", 1_000, T0))
    swept = apply(step, store, credit("busy", 1, T0 + YEAR + 30 * DAY))
    assert [(r["customer_id"], r["occurred_at"]) for r in swept] == [
        ("sooner", T0 + YEAR),
        ("later", T0 + YEAR + 3 * DAY),
    ]


def test_the_entrys_own_customer_is_swept_before_its_entry_is_applied() -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    apply(step, store, credit("c-1", 1_000, T0))
    back = apply(step, store, credit("c-1", 1_000, T0 + YEAR + DAY))
    assert moves(back) == [("c-1", "silver", "member", "window"), ("c-1", "member", "silver", "upgrade")]


def test_each_shop_uses_the_tiers_of_its_program_version_in_force() -> None:
    book = ProgramBook()
    tiers = [{"name": "member", "threshold": 0}, {"name": "vip", "threshold": 100}]
    book.add(ProgramVersion("small", T0 - DAY, parse_program({"tiers": tiers}, 1)))
    store, step = fresh_store(), Tiering(book)
    assert moves(apply(step, store, credit("a", 150, T0, shop="small"))) == [("a", "member", "vip", "upgrade")]
    assert moves(apply(step, store, credit("b", 150, T0, shop="other"))) == []
    assert moves(apply(step, store, credit("c", 1_000, T0, shop="other"))) == [("c", "member", "silver", "upgrade")]


def test_an_entry_for_another_customer_than_its_key_or_with_negative_points_is_rejected() -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    _, decoded = credit("c-1", 10, T0)
    with pytest.raises(Rejected, match="is not"):
        apply(step, store, (b"shop:someone-else", decoded))
    with pytest.raises(Rejected, match="negative"):
        apply(step, store, credit("c-1", -10, T0))


def test_a_clawback_record_names_the_credit_it_takes_from() -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    key, earned = credit("c-1", 1_200, T0)
    apply(step, store, (key, earned))
    clawback = {**earned.record, "entry_id": "refund-1", "points": 300, "earned_entry_id": earned.record["entry_id"]}
    downgrade = apply(step, store, (key, Decoded("PointsClawedBack", clawback)))
    assert moves(downgrade) == [("c-1", "silver", "member", "clawback")]
    assert downgrade[0]["qualifying_points"] == 900


def test_every_tier_change_is_keyed_by_its_own_customer_whatever_record_it_was_made_for() -> None:
    change = TierChanged("shop", "gone", T0, "silver", "member", "window", 0)
    assert Tiering._output(change).key == b"shop:gone"


def test_spent_and_transferred_points_never_qualify_but_their_time_still_sweeps() -> None:
    store, step = fresh_store(), Tiering(ProgramBook())
    apply(step, store, credit("gone", 1_000, T0))
    redeemed = {"entry_id": "r-1", "shop_id": "shop", "customer_id": "busy", "occurred_at": T0 + YEAR + DAY,
                "points": 5_000, "source_event_id": "q-1", "reason": "redemption", "redemption_id": "q-1",
                "reward_id": "mug", "lots": []}  # fmt: skip
    transferred = {"entry_id": "t-1", "shop_id": "shop", "customer_id": "busy", "occurred_at": T0 + YEAR + DAY,
                   "points": 9_000, "source_event_id": "t-1", "reason": "transfer", "transfer_id": "t-1",
                   "counterparty_id": "friend", "lots": []}  # fmt: skip
    swept = apply(step, store, (b"shop:busy", Decoded("PointsRedeemed", redeemed)))
    assert moves(swept) == [("gone", "silver", "member", "window")]
    assert apply(step, store, (b"shop:busy", Decoded("PointsTransferred", transferred))) == []
