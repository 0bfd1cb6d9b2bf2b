"""Properties over random histories of one customer: orders, refunds (partial, full, repeated, early), tasks,
profile and tier changes, under a few programs."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from math import floor
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common import expiry
from services.common.codec import Decoded
from services.common.processor import Rejected
from services.common.programs import ProgramBook
from services.common.topics import customer_key
from services.earn.caps import hourly_budget
from services.earn.commands import Command, CustomerUpdated, OrderPaid, OrderRefunded, TaskCompleted
from services.earn.earnings import Earnings, ShopHours, evolve, evolve_shop, local_day
from services.earn.messages import dump_earnings, dump_order, load_earnings, load_order, order_key, outputs
from services.earn.points import Line
from services.earn.processor import Earn
from services.earn.validation import ContractViolation
from services.program import Program, parse_program
from services.records import PointsEarned, TierChanged
from tests.unit.earn.support import CUSTOMER, SHOP, decide, fold, tier
from tests.unit.memory import scratch_store, send, stored

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

START = datetime(2026, 5, 8, tzinfo=UTC)
"""Histories span six days around the 10th, the member day."""
SPAN_MS = 6 * 24 * 3_600_000

PROGRAMS = {
    "default": Program(),
    "everything": parse_program(
        {
            "timezone": "Asia/Shanghai",
            "points_per_unit": "1.25",
            "category_multipliers": {"books": "1.5", "gift-cards": 0},
            "sku_multipliers": {"SKU-2": "2.5"},
            "campaigns": [
                {"name": "member-day", "multiplier": 2, "days_of_month": [10]},
                {"name": "vip", "multiplier": "1.1", "segment": {"tags": ["vip"]}},
                {"name": "returning", "multiplier": "1.5", "segment": {"min_orders": 1, "tiers": ["gold"]}},
            ],
            "spend_bonuses": [{"name": "big", "min_amount": 500, "points": 100}],
            "first_order_bonus": 25,
            "daily_cap": 400,
            "return_window_days": 14,
            "tasks": {"share": {"points": 7, "per_day": 2}, "quiz": {"points": 3}},
            "clawback_may_go_negative": True,
        },
        version=3,
    ),
    "stingy": parse_program(
        {"points_per_unit": "0.0137", "timezone": "America/Los_Angeles", "daily_cap": 1}, version=9
    ),
}
programs = st.sampled_from(sorted(PROGRAMS)).map(PROGRAMS.__getitem__)

ORDER_IDS = ["o-1", "o-2", "o-3", "o-4"]
CURRENCIES = {"USD": 2, "JPY": 0, "KWD": 3, "CLF": 4}
TASKS = ["signup", "review", "share", "survey", "birthday", "quiz", "dance"]
TIERS = ["member", "silver", "gold", "diamond"]

times = st.integers(0, SPAN_MS).map(lambda ms: START + timedelta(milliseconds=ms))
lines = st.builds(
    Line,
    st.sampled_from(["SKU-1", "SKU-2", "SKU-3"]),
    st.sampled_from(["books", "gift-cards", "toys"]),
    st.integers(1, 3),
    st.integers(0, 30_000),
)


@st.composite
def histories(draw: st.DrawFn) -> list[Command]:
    """One customer's inputs, including redeliveries, refunds before their order and reused refund ids."""
    totals = {o: draw(st.integers(0, 120_000)) for o in ORDER_IDS}
    paid: dict[str, OrderPaid] = {}
    refund_ids: dict[str, list[str]] = defaultdict(list)
    commands: list[Command] = []
    for i in range(draw(st.integers(1, 30))):
        kind = draw(
            st.sampled_from(["order", "order", "refund", "refund", "refund", "task", "profile", "tier", "again"])
        )
        at = draw(times)
        command: Command
        if kind == "order":
            order_id = draw(st.sampled_from(ORDER_IDS))
            if order_id not in paid:
                currency = draw(st.sampled_from(sorted(CURRENCIES)))
                bought = tuple(draw(st.lists(lines, max_size=3)))
                paid[order_id] = OrderPaid(
                    f"paid-{i}", SHOP, CUSTOMER, at, order_id, currency, totals[order_id], bought
                )
            command = paid[order_id]
        elif kind == "refund":
            order_id = draw(st.sampled_from(ORDER_IDS))
            total = totals[order_id]
            amount = draw(st.sampled_from([0, total, total // 2, total // 3 + 1]) | st.integers(0, total + 1))
            reuse = refund_ids[order_id] and draw(st.integers(0, 4)) == 0
            refund_id = draw(st.sampled_from(refund_ids[order_id])) if reuse else f"r-{i}"
            refund_ids[order_id].append(refund_id)
            command = OrderRefunded(f"refund-{i}", SHOP, CUSTOMER, at, order_id, refund_id, amount)
        elif kind == "task":
            name = draw(st.sampled_from(TASKS))
            command = TaskCompleted(f"task-{i}", SHOP, CUSTOMER, at, name, draw(st.sampled_from([None, "a", "b"])))
        elif kind == "profile":
            tags = frozenset(draw(st.lists(st.sampled_from(["vip", "staff"]), max_size=2)))
            command = CustomerUpdated(f"profile-{i}", at, tags, draw(st.none() | st.integers(1, 12)), None)
        elif kind == "tier":
            command = tier(draw(st.sampled_from(TIERS)), at)
        else:
            with_ids = [c for c in commands if not isinstance(c, TierChanged)]
            if not with_ids:
                continue
            command = draw(st.sampled_from(with_ids))
        commands.append(command)
    return commands


def with_duplicates(history: list[Command], data: st.DataObject) -> list[Command]:
    """`history` with some of its inputs delivered again, each after its first delivery."""
    n = len(history)
    if n == 0:
        return history
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
    again: dict[int, list[Command]] = defaultdict(list)
    for a, b in pairs:
        source = history[min(a, b)]
        if not isinstance(source, TierChanged):
            again[max(a, b)].append(source)
    return [c for i, command in enumerate(history) for c in (command, *again[i])]


def per_order(history: list[Command]) -> dict[str, tuple[int, int]]:
    """Per order, independently of the domain: how many refunds it got and their total (the first refund of an id)."""
    counted: dict[str, dict[str, int]] = defaultdict(dict)
    for command in history:
        if isinstance(command, OrderRefunded):
            counted[command.order_id].setdefault(command.refund_id, command.amount_minor)
    return {order_id: (len(refunds), sum(refunds.values())) for order_id, refunds in counted.items()}


# (a) and (b): clawbacks never exceed what was earned, and a full refund takes it all


@FAST
@given(histories(), programs)
def test_given_any_history_then_an_order_loses_exactly_its_share_of_the_refunds_never_more(
    history: list[Command], program: Program
) -> None:
    folded = fold(history, program, strict=False)

    refunds = per_order(history)
    for credit in folded.earned:
        if credit.source_type != "OrderPaid":
            continue
        assert credit.order_id is not None
        total = credit.order_total_minor or 0
        count, refunded = refunds.get(credit.order_id, (0, 0))
        clawed = sum(c.points for c in folded.clawbacks if c.order_id == credit.order_id)
        assert 0 <= clawed <= credit.points
        if total:
            assert clawed == credit.points * min(refunded, total) // total
        else:
            assert clawed == (credit.points if count else 0)
        if count and refunded >= total:
            assert clawed == credit.points
    assert all(c.points >= 0 for c in folded.clawbacks)


@FAST
@given(histories(), programs)
def test_given_any_history_then_the_customer_never_owes_more_than_they_earned(
    history: list[Command], program: Program
) -> None:
    folded = fold(history, program, strict=False)

    assert folded.state.lifetime_earned - folded.state.clawed_back >= 0
    assert folded.state.lifetime_earned == sum(c.points for c in folded.earned)
    assert folded.state.clawed_back == sum(c.points for c in folded.clawbacks)
    assert all(c.points >= 0 and c.capped_points >= 0 for c in folded.earned)


# (c) and (d): replays and redeliveries


@FAST
@given(histories(), programs)
def test_given_the_same_history_replayed_then_the_same_entries_and_record_result(
    history: list[Command], program: Program
) -> None:
    first = fold(history, program, strict=False)
    again = fold(history, program, strict=False)

    assert again.events == first.events
    assert again.state == first.state
    assert again.shop == first.shop
    assert again.rejected == first.rejected


@FAST
@given(st.data(), programs)
def test_given_any_input_delivered_again_then_nothing_changes(data: st.DataObject, program: Program) -> None:
    history = data.draw(histories())
    redelivered = with_duplicates(history, data)

    once = fold(history, program, strict=False)
    twice = fold(redelivered, program, strict=False)

    assert twice.events == once.events
    assert twice.state == once.state


# (e): the processor's own step, keeping the state as bytes, decides as the fold does


class OneProgram(ProgramBook):
    def __init__(self, program: Program) -> None:
        super().__init__()
        self.program = program

    def at(self, shop_id: str, when: Any) -> Program:
        return self.program


def wire(command: Command) -> Decoded:
    """The command as the step receives it: its Avro record, decoded."""
    record: dict[str, Any] = {"shop_id": SHOP, "customer_id": CUSTOMER} | vars(command)
    if isinstance(command, OrderPaid):
        record["lines"] = [vars(line) for line in command.lines]
    if isinstance(command, CustomerUpdated):
        record["tags"] = sorted(command.tags)
    return Decoded(type(command).__name__, record)


@FAST
@given(histories(), programs)
def test_given_any_history_through_the_processor_s_step_then_the_same_entries_and_state_result(
    history: list[Command], program: Program
) -> None:
    """Earn's step on an in-memory store: per event it loads only whether that event was seen, the order it is
    about and whether the `(task, ref)` it would use up was paid, and stores them as records of their own."""
    store, earn, key = scratch_store(), Earn(OneProgram(program), 1), customer_key(SHOP, CUSTOMER)
    expected = fold(history, program, budget=hourly_budget(program, 1), strict=False)
    written = []
    for command in history:
        with contextlib.suppress(Rejected):
            written += send(earn.step, store, key, wire(command))

    assert [(o.name, o.record) for o in written] == [(o.name, o.record) for o in outputs(expected.events)]
    final, state = expected.state, stored(store)
    seen = frozenset(k.rpartition(b"\x00")[2].decode() for k in state if k.startswith(key + b"\x00seen\x00"))
    paid = frozenset(k.rpartition(b"\x00")[2].decode() for k in state if k.startswith(key + b"\x00task\x00"))
    assert paid == final.task_refs
    assert "once" not in orjson.loads(state.get(key, b"{}")), "each (task, ref) is a record of its own"
    assert load_earnings(state.get(key), seen, task_refs=paid) == replace(final, earned_orders={}, awaiting_order={})
    for order_id in ORDER_IDS:
        earned, awaiting = load_order((order_id, expiry.value(state.get(order_key(key, order_id)))))
        assert earned == {o: e for o, e in final.earned_orders.items() if o == order_id}
        assert awaiting == {o: a for o, a in final.awaiting_order.items() if o == order_id}


@FAST
@given(histories(), programs)
def test_given_any_record_when_stored_and_loaded_then_it_round_trips_exactly(
    history: list[Command], program: Program
) -> None:
    state = Earnings()
    for command in history:
        try:
            decided = decide(command, state, program)
        except ContractViolation:
            continue
        for event in decided:
            state = evolve(state, event, program)
        loaded = load_earnings(dump_earnings(state), state.seen_event_ids, task_refs=state.task_refs)
        assert loaded == replace(state, earned_orders={}, awaiting_order={})
        for order_id in {*state.earned_orders, *state.awaiting_order}:
            assert load_order((order_id, dump_order(order_id, state))) == (
                {o: e for o, e in state.earned_orders.items() if o == order_id},
                {o: a for o, a in state.awaiting_order.items() if o == order_id},
            )


# (g) and the cap: what was computed is credited or recorded as capped


@FAST
@given(histories(), programs)
def test_given_any_history_then_every_order_s_points_are_credited_or_recorded_as_capped(
    history: list[Command], program: Program
) -> None:
    folded = fold(history, program, strict=False)

    for credit in folded.earned:
        if credit.source_type == "OrderPaid":
            assert credit.points + credit.capped_points == credit.base_points + sum(p for _, p in credit.bonuses)
    if program.daily_cap is not None:
        per_day: dict[str, int] = defaultdict(int)
        for credit in folded.earned:
            per_day[local_day(credit.occurred_at, program)] += credit.points
        assert max(per_day.values(), default=0) <= program.daily_cap


@FAST
@given(histories(), st.integers(1, 500))
def test_given_an_hourly_budget_then_no_hour_issues_more_than_it(history: list[Command], budget: int) -> None:
    # Within a day, so the shop's 24 remembered hours hold every hour of the history.
    same_day = [c for c in history if not isinstance(c, TierChanged) and c.occurred_at < START + timedelta(hours=20)]
    folded = fold(same_day, Program(), budget=budget, strict=False)

    issued: dict[str, int] = defaultdict(int)
    for credit in folded.earned:
        if credit.held is None:
            issued[credit.occurred_at.strftime("%Y-%m-%dT%H")] += credit.points
        else:
            assert credit.available_at >= credit.occurred_at + timedelta(days=7)
    assert all(points <= budget for points in issued.values())
    assert folded.shop == _shop_of(folded.earned)


def _shop_of(credits: list[PointsEarned]) -> ShopHours:
    shop = ShopHours()
    for credit in credits:
        shop = evolve_shop(shop, credit)
    return shop


# (f): points are the floor of the exact product, computed here independently

decimals = st.integers(0, 40_000).map(lambda n: f"{n // 10_000}.{n % 10_000:04d}")
positive_decimals = st.integers(1, 40_000).map(lambda n: f"{n // 10_000}.{n % 10_000:04d}")


@FAST
@given(
    total=st.integers(0, 10**9),
    currency=st.sampled_from(sorted(CURRENCIES)),
    bought=st.lists(lines, max_size=4),
    categories=st.dictionaries(st.sampled_from(["books", "gift-cards", "toys"]), decimals),
    skus=st.dictionaries(st.sampled_from(["SKU-1", "SKU-2", "SKU-3"]), decimals),
    points_per_unit=positive_decimals,
    to_tier=st.sampled_from(TIERS),
    at=times,
)
def test_given_any_order_then_its_points_are_the_floor_of_the_exact_product(
    total: int,
    currency: str,
    bought: list[Line],
    categories: dict[str, str],
    skus: dict[str, str],
    points_per_unit: str,
    to_tier: str,
    at: datetime,
) -> None:
    program = parse_program(
        {"category_multipliers": categories, "sku_multipliers": skus, "points_per_unit": points_per_unit}
    )
    paid = OrderPaid("paid-1", SHOP, CUSTOMER, at, "o-1", currency, total, tuple(bought))

    credit = fold([tier(to_tier, at), paid], program).earned[0]

    def multiplier(line: Line) -> Fraction:
        return Fraction(skus.get(line.sku, categories.get(line.category, "1")))

    amounts = [(line.unit_price_minor * line.quantity, multiplier(line)) for line in bought]
    list_price = sum(amount for amount, _ in amounts)
    weighted = (
        Fraction(total)
        if list_price == 0
        else Fraction(total) * sum((amount * m for amount, m in amounts), Fraction(0)) / list_price
    )
    tier_multiplier = {"member": 1, "silver": Fraction(3, 2), "gold": 2, "diamond": Fraction(5, 2)}[to_tier]
    member_day = 2 if at.day == 10 else 1
    exact = weighted / 10 ** CURRENCIES[currency] * Fraction(points_per_unit) * tier_multiplier * member_day

    assert credit.points == credit.base_points == floor(exact)
    assert credit.weighted_minor == floor(weighted)
    assert credit.capped_points == 0
