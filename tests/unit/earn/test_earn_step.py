"""The earn processor's own step over an in-memory state store: every kind of input, what it stores, what it refuses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Rejected
from services.common.programs import ProgramBook, ProgramVersion
from services.common.statestore import StateStore
from services.earn import messages
from services.earn.processor import Earn
from services.program import parse_program
from tests.unit.earn.support import MONDAY
from tests.unit.memory import scratch_store, send, stored

SHOP, CUSTOMER = "shop", "ada"
KEY = topics.customer_key(SHOP, CUSTOMER)


def record(name: str, n: int, **fields: Any) -> Decoded:
    common = {"event_id": f"e-{n}", "shop_id": SHOP, "customer_id": CUSTOMER, "occurred_at": MONDAY}
    return Decoded(name, common | fields)


def paid(n: int, total_minor: int = 10_000, order_id: str = "o-1") -> Decoded:
    return record("OrderPaid", n, order_id=order_id, currency="USD", total_minor=total_minor, lines=[])


def refunded(n: int, amount_minor: int, order_id: str = "o-1") -> Decoded:
    return record("OrderRefunded", n, order_id=order_id, refund_id=f"r-{n}", amount_minor=amount_minor)


def run(earn: Earn, store: StateStore, *inputs: Decoded, key: bytes = KEY) -> list[tuple[str, dict[str, Any]]]:
    return [(o.name, o.record) for decoded in inputs for o in send(earn.step, store, key, decoded)]


def default_earn() -> Earn:
    return Earn(ProgramBook(), 1)


def test_an_order_earns_a_credit_and_a_refund_claws_back_its_share() -> None:
    store, earn = scratch_store(), default_earn()

    [(credit, earned), (clawback, clawed)] = run(earn, store, paid(1), refunded(2, 5_000))

    assert (credit, earned["points"], earned["order_id"]) == ("PointsEarned", 100, "o-1")
    assert (clawback, clawed["points"], clawed["earned_entry_id"]) == ("PointsClawedBack", 50, earned["entry_id"])
    assert messages.load_earnings(stored(store)[KEY], frozenset()).lifetime_earned == 100


def test_a_refund_before_its_order_waits_and_is_clawed_back_when_the_order_arrives() -> None:
    store, earn = scratch_store(), default_earn()

    assert run(earn, store, refunded(1, 10_000)) == []
    written = run(earn, store, paid(2))

    assert [(name, r["points"]) for name, r in written] == [("PointsEarned", 100), ("PointsClawedBack", 100)]


def test_a_task_pays_once_per_ref_and_its_ref_is_a_record_of_its_own() -> None:
    store, earn = scratch_store(), default_earn()
    review = {"task": "review", "ref": "sku-1"}

    [(_, first)] = run(earn, store, record("TaskCompleted", 1, **review))
    [(_, again)] = run(earn, store, record("TaskCompleted", 2, **review))

    assert (first["points"], again["points"]) == (10, 0)
    assert messages.task_ref_key(KEY, "review|sku-1") in stored(store)


def test_profiles_and_tiers_write_nothing_but_the_next_order_earns_by_them() -> None:
    store, earn = scratch_store(), default_earn()
    tier = {"from_tier": "member", "to_tier": "gold", "reason": "upgrade", "qualifying_points": 5_000}

    assert run(earn, store, record("CustomerUpdated", 1, tags=["vip"], birth_month=None, birth_day=None)) == []
    assert run(earn, store, record("TierChanged", 2, **tier)) == []
    [(_, earned)] = run(earn, store, paid(3))

    assert earned["tier"] == "gold"


def test_an_input_seen_before_decides_nothing_and_stores_nothing() -> None:
    store, earn = scratch_store(), default_earn()
    run(earn, store, paid(1))
    before = stored(store)

    assert run(earn, store, paid(1)) == []
    assert stored(store) == before


def test_an_input_under_another_customer_s_key_or_breaking_the_contract_is_refused_and_stores_nothing() -> None:
    store, earn = scratch_store(), default_earn()

    with pytest.raises(Rejected, match="is not"):
        run(earn, store, paid(1), key=topics.customer_key(SHOP, "bob"))
    with pytest.raises(Rejected, match="negative"):
        run(earn, store, paid(2, total_minor=-1))

    assert stored(store) == {}


def test_the_shop_s_hourly_count_is_kept_only_while_its_program_has_a_circuit_breaker() -> None:
    book = ProgramBook()
    guard = parse_program({"circuit_breaker": {"max_points_per_hour": 150}}, 1)
    book.add(ProgramVersion("guarded", MONDAY - timedelta(days=1), guard))
    store, earn = scratch_store(), Earn(book, 1)
    guarded = {"shop_id": "guarded", "customer_id": CUSTOMER}
    key = topics.customer_key("guarded", CUSTOMER)

    [(_, first)] = run(earn, store, Decoded("OrderPaid", paid(1).record | guarded), key=key)
    [(_, second)] = run(earn, store, Decoded("OrderPaid", paid(2, order_id="o-2").record | guarded), key=key)
    run(earn, store, paid(3))

    assert (first["held"], second["held"]) == (None, "circuit_breaker")
    assert messages.load_shop(stored(store)[messages.shop_key("guarded")]).issued == {"2026-05-04T12": 100}
    assert messages.shop_key(SHOP) not in stored(store)
