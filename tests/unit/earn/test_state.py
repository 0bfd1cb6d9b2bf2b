"""A customer's earning record and a shop's hours as bytes: what is stored is what is loaded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import orjson

from services.earn.earnings import Earnings, ShopHours
from services.earn.messages import (
    dump_earnings,
    dump_order,
    dump_shop,
    load_earnings,
    load_order,
    load_shop,
    points_earned,
)
from services.program import parse_program
from tests.unit.earn.support import MONDAY, earn, fold, order, profile, refund, task, tier

RICH = parse_program({"daily_cap": 500, "timezone": "Europe/Paris"})


def rich_state() -> Earnings:
    return fold(
        [
            profile(tags=["vip", "staff"], birth_month=5, birth_day=14),
            tier("gold"),
            order(12_345, order_id="a", at=MONDAY + timedelta(milliseconds=123)),
            refund(1_000, order_id="a", refund_id="r-1"),
            refund(500, order_id="later", refund_id="r-2", at=MONDAY + timedelta(seconds=7, milliseconds=9)),
            task("share", "post-1"),
            task("birthday"),
            task("signup"),
        ],
        RICH,
    ).state


def stored(state: Earnings) -> tuple[bytes, dict[str, bytes]]:
    """As the processor keeps a customer: one record, and one record per order."""
    order_ids = {*state.earned_orders, *state.awaiting_order}
    return dump_earnings(state), {order_id: dump_order(order_id, state) for order_id in order_ids}


def test_given_a_customer_s_record_when_stored_and_loaded_then_it_is_the_same_record() -> None:
    state = rich_state()
    record = dump_earnings(state)

    assert state.task_counts
    assert state.task_refs
    loaded = load_earnings(record, state.seen_event_ids, task_refs=state.task_refs)
    assert loaded == replace(state, earned_orders={}, awaiting_order={})


def test_given_an_event_about_an_order_then_it_loads_that_order_alone() -> None:
    state = rich_state()
    record, orders = stored(state)

    paid = load_earnings(record, state.seen_event_ids, ("a", orders["a"]), state.task_refs)
    waiting = load_earnings(record, state.seen_event_ids, ("later", orders["later"]), state.task_refs)

    assert paid == replace(state, awaiting_order={})
    assert paid.earned_orders == {"a": state.earned_orders["a"]}
    assert waiting == replace(state, earned_orders={})
    assert waiting.awaiting_order == {"later": state.awaiting_order["later"]}


def test_given_an_order_never_stored_then_it_loads_as_unknown() -> None:
    record, _ = stored(rich_state())

    assert load_earnings(record, frozenset(), ("o-404", None)).earned_orders == {}
    assert load_order(None) == ({}, {})
    assert load_order(("o-404", None)) == ({}, {})


def test_given_a_stored_record_then_seen_event_ids_are_not_in_it_but_passed_beside_it() -> None:
    state = rich_state()

    loaded = load_earnings(dump_earnings(state), frozenset({"paid-x"}))

    assert loaded.seen_event_ids == {"paid-x"}
    assert "seen_event_ids" not in orjson.loads(dump_earnings(state))


def test_given_a_new_customer_then_the_record_is_empty_but_knows_the_seen_ids() -> None:
    assert load_earnings(None, frozenset({"e-1"})) == Earnings(frozenset({"e-1"}))


def test_given_a_record_written_before_the_earning_rules_then_its_totals_are_kept() -> None:
    legacy = orjson.dumps({"earned": 120, "orders": 3})

    assert load_earnings(legacy, frozenset()) == Earnings(lifetime_earned=120, orders=3)


def test_given_a_shop_s_hours_when_stored_and_loaded_then_they_are_the_same() -> None:
    shop = ShopHours({"2026-05-04T12": 900, "2026-05-04T13": 40})

    assert load_shop(dump_shop(shop)) == shop
    assert load_shop(None) == ShopHours()


def test_given_a_credit_then_its_record_carries_multipliers_as_exact_fractions() -> None:
    record = points_earned(earn([tier("silver"), order(1_001)]))

    assert record["multipliers"] == [{"name": "tier:silver", "numerator": 3, "denominator": 2}]
    assert record["points"] == 15
    assert Fraction(record["multipliers"][0]["numerator"], record["multipliers"][0]["denominator"]) == Fraction(3, 2)


def test_given_a_last_order_in_2038_when_stored_and_loaded_then_its_time_is_kept_to_the_millisecond() -> None:
    at = datetime(2038, 9, 5, 7, 34, 21, 910_000, tzinfo=UTC)
    state = fold([order(1_000, at=at)]).state

    assert load_earnings(dump_earnings(state), state.seen_event_ids).last_order_at == at


def test_given_an_order_stored_by_the_previous_layout_when_it_is_refunded_then_it_is_still_found() -> None:
    previous_layout = orjson.dumps(
        {
            "earned": 100, "clawed_back": 0, "orders": 1, "last_order_at": 1_777_896_000_000, "tier": "member",
            "tags": [], "birth": [None, None], "daily": {"2026-05-04": 100}, "tasks": {}, "once": [],
            "earned_orders": {"o-1": ["4c7324dd438ad223ec390199c5b39624", 100, 10_000, 0, True, 0, 0, []]},
            "awaiting": {},
        }
    )  # fmt: skip

    state = load_earnings(previous_layout, frozenset(), ("o-1", None))

    assert "o-1" in state.earned_orders
