"""The earn step over an in-memory state store: whatever one customer sends, no state record grows with it."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import limits
from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Rejected
from services.common.programs import ProgramBook
from services.common.statestore import StateStore, StateView
from services.earn.processor import Earn
from tests.unit.earn.support import MONDAY
from tests.unit.memory import stored
from tests.unit.tier.test_tier_step import fresh_store

KEY = topics.customer_key("shop", "ada")


def event(name: str, n: int, **fields: Any) -> Decoded:
    common = {"event_id": f"e-{n}", "shop_id": "shop", "customer_id": "ada", "occurred_at": MONDAY}
    return Decoded(name, common | fields)


def review(n: int, sku: str) -> Decoded:
    return event("TaskCompleted", n, task="review", ref=sku)


def paid(n: int, order_id: str = "o-1") -> Decoded:
    return event("OrderPaid", n, order_id=order_id, currency="USD", total_minor=10_000, lines=[])


def refunded(n: int, order_id: str = "o-1") -> Decoded:
    return event("OrderRefunded", n, order_id=order_id, refund_id=f"r-{n}", amount_minor=1, lines=None)


def step(earn: Earn, store: StateStore, decoded: Decoded) -> list[dict[str, Any]]:
    """One step as the runtime runs it: its writes reach the store only if it succeeds."""
    view = StateView(store, 0, {})
    outputs = earn.step(KEY, decoded, view)
    store.put_all({(0, key): value for key, value in view.staged.items()})
    return [o.record for o in outputs]


def largest_record(store: StateStore) -> int:
    return max(len(value) for value in stored(store).values())


def test_ten_thousand_reviews_of_other_skus_leave_every_record_small_and_each_review_paid_once() -> None:
    store, earn = fresh_store(), Earn(ProgramBook(), 1)
    for n in range(10_000):
        step(earn, store, review(n, f"sku-{n}"))
    assert largest_record(store) < 2_000
    [again] = step(earn, store, review(10_000, "sku-42"))
    assert (again["points"], again["reason"]) == (0, "task review (sku-42): review sku-42 was already paid")
    [other] = step(earn, store, review(10_001, "sku-new"))
    assert other["points"] == 10


def test_an_order_takes_at_most_its_limit_of_refunds_waiting_or_applied() -> None:
    store, earn = fresh_store(), Earn(ProgramBook(), 1)
    for n in range(limits.REFUNDS_PER_ORDER):
        step(earn, store, refunded(n, "early"))
    with pytest.raises(Rejected, match="refunds are already waiting for order early"):
        step(earn, store, refunded(1_000, "early"))
    step(earn, store, paid(2_000))
    for n in range(3_000, 3_000 + limits.REFUNDS_PER_ORDER):
        step(earn, store, refunded(n))
    with pytest.raises(Rejected, match="order o-1 has had 100 refunds"):
        step(earn, store, refunded(5_000))
    assert largest_record(store) < 20_000


def one_of(kind: str, n: int, x: int) -> Decoded:
    match kind:
        case "review":
            return review(n, f"sku-{x}-{n}")
        case "share":
            return event("TaskCompleted", n, task="share", ref=f"post-{n}", occurred_at=MONDAY + timedelta(hours=x))
        case "order":
            return paid(n, f"o-{x}")
    return refunded(n, f"o-{x}")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["review", "share", "order", "refund"]), st.integers(0, 50)), max_size=400))
def test_given_any_sequence_no_state_record_grows_past_a_bound(sequence: list[tuple[str, int]]) -> None:
    store, earn = fresh_store(), Earn(ProgramBook(), 1)
    for n, (kind, x) in enumerate(sequence):
        with contextlib.suppress(Rejected):  # dead-lettered
            step(earn, store, one_of(kind, n, x))
    assert not stored(store) or largest_record(store) < 25_000
