"""What earn remembers, how long, and what becomes of an input beyond its windows: through the processor's own step
and the sweep that ends each batch, on an in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.common import expiry, topics
from services.common.codec import Decoded
from services.common.programs import ProgramBook
from services.common.statestore import StateView
from services.common.timestamps import millis
from services.earn import messages
from services.earn.commands import Command, OrderPaid, OrderRefunded, TaskCompleted
from services.earn.processor import Earn
from services.earn.retention import Windows, beyond, task_ref_until
from services.program import Program
from tests.unit.earn.test_properties import wire
from tests.unit.memory import scratch_store, send_batch, stored

SHOP, CUSTOMER = "shop-1", "ada"
KEY = topics.customer_key(SHOP, CUSTOMER)
START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
Input = OrderPaid | OrderRefunded | TaskCompleted
WINDOW = "older than the 30-day duplicate window: it cannot be told from a duplicate"


def earn(duplicates: int = 30, refunds: int = 400) -> Earn:
    return Earn(ProgramBook(), 1, windows=Windows(timedelta(days=duplicates), timedelta(days=refunds)))


def paid(n: int, day: float, order_id: str | None = None) -> OrderPaid:
    return OrderPaid(f"paid-{n}", SHOP, CUSTOMER, START + day * DAY, order_id or f"o-{n}", "USD", 10_000)


def refunded(n: int, day: float, order_id: str, amount: int = 5_000) -> OrderRefunded:
    return OrderRefunded(f"refund-{n}", SHOP, CUSTOMER, START + day * DAY, order_id, f"r-{n}", amount)


def task(n: int, day: float, name: str, ref: str | None = None) -> TaskCompleted:
    return TaskCompleted(f"task-{n}", SHOP, CUSTOMER, START + day * DAY, name, ref)


def batch(step: Earn, store: Any, *commands: Command) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    outputs, dead = send_batch(step.step, store, [(KEY, wire(c)) for c in commands])
    return [(o.name, o.record) for o in outputs], dead


def points(outputs: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str, int]]:
    return [(name, r["source_event_id"], r["points"]) for name, r in outputs]


def test_a_duplicate_inside_the_window_earns_nothing() -> None:
    store, step = scratch_store(), earn()

    batch(step, store, paid(1, 0), paid(2, 29.9))
    again, dead = batch(step, store, paid(1, 0))

    assert (again, dead) == ([], [])


def test_a_duplicate_beyond_the_window_is_dead_lettered_with_its_reason_never_credited() -> None:
    store, step = scratch_store(), earn()

    first, _ = batch(step, store, paid(1, 0), paid(2, 31))
    again, dead = batch(step, store, paid(1, 0))

    assert points(first) == [("PointsEarned", "paid-1", 100), ("PointsEarned", "paid-2", 100)]
    assert again == []
    assert [reason.split(" (dated")[0] for reason in dead] == [WINDOW]
    assert "dated 2026-01-05 12:00:00, its partition has reached 2026-02-05 12:00:00 UTC" in dead[0]


def test_an_input_late_by_less_than_the_window_is_decided_and_its_marker_outlives_the_window() -> None:
    store, step = scratch_store(), earn()

    batch(step, store, paid(2, 40))
    late, dead = batch(step, store, paid(1, 15))
    batch(step, store, paid(3, 44.9))
    again, dead_again = batch(step, store, paid(1, 15))

    assert (points(late), dead) == ([("PointsEarned", "paid-1", 100)], [])
    assert (again, dead_again) == ([], []), "inside the window at 44.9 days: recognised, not credited"


def test_the_markers_and_orders_are_deleted_from_the_state_once_their_windows_pass() -> None:
    store, step = scratch_store(), earn(duplicates=30, refunds=60)
    batch(step, store, paid(1, 0), refunded(2, 5, "o-1"))
    seen, order = messages.seen_key(KEY, "paid-1"), messages.order_key(KEY, "o-1")

    batch(step, store, paid(3, 36))
    assert seen not in stored(store)
    assert messages.seen_key(KEY, "refund-2") not in stored(store)
    assert order in stored(store), "kept 60 days after the refund"
    batch(step, store, paid(4, 66))

    assert order not in stored(store)
    assert expiry.until(stored(store)[messages.order_key(KEY, "o-3")]) == millis(START + 96 * DAY)


def test_a_refund_of_an_order_past_the_refund_window_waits_for_its_order_and_claws_back_nothing() -> None:
    store, step = scratch_store(), earn(duplicates=30, refunds=60)
    batch(step, store, paid(1, 0))
    batch(step, store, paid(2, 61))

    late, dead = batch(step, store, refunded(3, 62, "o-1"))

    assert (late, dead) == ([], [])
    waiting = messages.load_order(("o-1", expiry.value(stored(store)[messages.order_key(KEY, "o-1")])))[1]
    assert [r.refund_id for r in waiting["o-1"]] == ["r-3"]
    batch(step, store, paid(4, 123))
    assert messages.order_key(KEY, "o-1") not in stored(store), "the waiting refund is forgotten in its turn"


def test_a_refund_inside_the_refund_window_claws_back_even_after_the_duplicate_window() -> None:
    store, step = scratch_store(), earn(duplicates=30, refunds=400)
    batch(step, store, paid(1, 0))
    batch(step, store, paid(2, 300))

    clawed, dead = batch(step, store, refunded(3, 300, "o-1"))

    assert (points(clawed), dead) == ([("PointsClawedBack", "refund-3", 50)], [])


def test_a_task_limited_per_year_forgets_its_ref_after_the_year_and_a_task_paying_once_never() -> None:
    store, step = scratch_store(), earn()
    birthday, review = task(1, 0, "birthday", "2026"), task(2, 0, "review", "sku-1")
    batch(step, store, birthday, review)
    year_end = datetime(2027, 1, 1, tzinfo=UTC)

    assert task_ref_until(birthday, Program(), step.windows) == year_end + 32 * DAY
    batch(step, store, paid(3, (year_end - START) / DAY + 33))

    assert messages.task_ref_key(KEY, "birthday|2026|2026") not in stored(store)
    assert stored(store)[messages.task_ref_key(KEY, "review|sku-1")] == b"1"


def test_an_event_dated_in_the_future_moves_the_clock_no_further_than_its_log_time_and_the_tolerance() -> None:
    store, step = scratch_store(), earn()
    logged = millis(START)
    future = Decoded("OrderPaid", wire(paid(1, 3650)).record, logged_at=logged)

    send_batch(step.step, store, [(KEY, future)])
    outputs, dead = batch(step, store, paid(2, -29))

    assert dead == []
    assert len(outputs) == 1
    assert expiry.clock(StateView(store, 0, {})) == logged + 300_000


# Properties: any deliveries of any inputs, in any batches, under any windows


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Input], list[int], Windows]:
    """A customer's distinct inputs over 200 days, delivered in any order, each any number of times, in batches."""
    inputs: list[Input] = []
    for n in range(draw(st.integers(1, 12))):
        day = draw(st.floats(0, 200, allow_nan=False))
        kind = draw(st.sampled_from(["order", "order", "refund", "birthday", "review"]))
        orders = [c.order_id for c in inputs if isinstance(c, OrderPaid)]
        if kind == "refund" and orders:
            inputs.append(refunded(n, day, draw(st.sampled_from(orders)), draw(st.integers(0, 10_000))))
        elif kind in ("birthday", "review"):
            inputs.append(task(n, day, kind, draw(st.sampled_from(["a", "b"]))))
        else:
            inputs.append(paid(n, day))
    order = draw(st.lists(st.integers(0, len(inputs) - 1), min_size=1, max_size=30))
    duplicates = draw(st.integers(1, 60))
    windows = Windows(timedelta(days=duplicates), timedelta(days=duplicates + draw(st.integers(0, 90))))
    return inputs, order, windows


def expected(inputs: list[Input], order: list[int], windows: Windows) -> tuple[set[str], int]:
    """The events a fold that never forgets credits, refusing those its clock says are beyond the window."""
    clock: datetime | None = None
    applied: set[str] = set()
    refused = 0
    for i in order:
        command = inputs[i]
        if beyond(command.occurred_at, clock, windows):
            refused += 1
            continue
        clock = command.occurred_at if clock is None else max(clock, command.occurred_at)
        applied.add(command.event_id)
    return applied, refused


@settings(max_examples=150, deadline=None)
@given(deliveries(), st.integers(1, 5))
def test_given_any_deliveries_and_windows_then_nothing_inside_the_window_is_credited_twice_and_nothing_outlives_it(
    case: tuple[list[Input], list[int], Windows], per_batch: int
) -> None:
    inputs, order, windows = case
    store, step = scratch_store(), Earn(ProgramBook(), 1, windows=windows)
    written: list[tuple[str, dict[str, Any]]] = []
    dead: list[str] = []
    for start in range(0, len(order), per_batch):
        out, refused = batch(step, store, *(inputs[i] for i in order[start : start + per_batch]))
        written += out
        dead += refused

    applied, refused_count = expected(inputs, order, windows)
    credits = [r["source_event_id"] for name, r in written if name == "PointsEarned"]
    clawbacks = [r["source_event_id"] for name, r in written if name == "PointsClawedBack"]
    assert len(credits) == len(set(credits)), "credited twice"
    assert len(clawbacks) == len(set(clawbacks)), "clawed back twice"
    assert set(credits) == {i for i in applied if not i.startswith("refund")}
    assert len(dead) == refused_count
    assert all("duplicate window" in reason for reason in dead)

    last = max(c.occurred_at for c in inputs) + windows.refunds + 400 * DAY
    batch(step, store, paid(99, (last - START) / DAY))
    now = millis(last)
    for key, value in stored(store).items():
        assert (expiry.until(value) or now) >= now, f"{key!r} outlived its window"
        if key.startswith(expiry.INDEX):
            assert int.from_bytes(key[len(expiry.INDEX) : len(expiry.INDEX) + 8], "big") >= now


zones = st.sampled_from(["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Paris", "America/Los_Angeles"])


@given(zones, st.datetimes(datetime(2001, 1, 1), datetime(2198, 1, 1), timezones=st.just(UTC)), st.integers(1, 400))
def test_given_any_zone_and_time_a_task_ref_outlives_every_task_of_its_period_by_the_duplicate_window(
    zone: str, at: datetime, days: int
) -> None:
    """A ref read as gone must only meet tasks refused as too old: every task using it up is dated before its moment
    less the duplicate window, in the ref's own zone and in any other a later program version may set."""
    windows = Windows(timedelta(days=days), timedelta(days=days))
    program = Program(timezone=zone)
    for name in ("birthday", "share"):
        until = task_ref_until(TaskCompleted("t", SHOP, CUSTOMER, at, name, "x"), program, windows)
        assert until is not None
        local = at.astimezone(program.zone)
        period_end_anywhere = datetime(local.year + 1, 1, 1, tzinfo=UTC) + timedelta(hours=12)  # at UTC-12
        if name == "share":
            period_end_anywhere = datetime(local.year, local.month, local.day, tzinfo=UTC) + timedelta(hours=36)
        assert until - windows.duplicates >= period_end_anywhere > at
    assert task_ref_until(TaskCompleted("t", SHOP, CUSTOMER, at, "review", "x"), program, windows) is None
