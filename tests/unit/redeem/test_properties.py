"""Properties over random histories of two customers who transfer to each other: credits, clawback claims,
redemptions, cancellations, adjustments, transfers, freezes, expiry ticks, late events and redeliveries."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.records import PointsClawedBack, PointsEarned
from services.redeem import decider
from services.redeem.account import Account
from services.redeem.decider import Shop
from services.redeem.events import (
    AdjustmentRequested,
    ClawbackCollected,
    Event,
    ExpiryTick,
    PointsAdjusted,
    PointsExpired,
    PointsRedeemed,
    PointsRestored,
    PointsTransferred,
    RedemptionReversed,
    TransferReceived,
)
from services.redeem.operations import TransferLimits
from services.redeem.retention import Retention
from tests.unit.redeem.support import (
    ADA,
    BOB,
    DAY,
    SECRET,
    SHOP,
    T0,
    Catalog,
    Input,
    World,
    adjust,
    cancel,
    clawback,
    earned,
    freeze,
    of_type,
    request,
    reward,
    tick,
    transfer,
)

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SALE = reward("sale", kind="service", points_price=70, tier_discounts={"gold": "0.1"}, discounts=[{"percent": "15"}])
PRIZES = [{"name": "cap", "weight": 1}, {"name": "-", "weight": 3}]
CATALOG = {
    "mug": reward("mug"),
    "sale": SALE,
    "cash": reward("cash", points_price=200, cash_price_minor=1_000, max_points_share="0.75"),
    "coupon": reward("coupon", kind="coupon", points_price=30, codes=["C-1", "C-2", "C-3"]),
    "wheel": reward("wheel", kind="lottery", points_price=None, prizes=PRIZES),
    "limited": reward("limited", points_price=40, per_customer_limit=2, stock=5),
}
SHOP_SETTINGS = Shop(
    secret=SECRET,
    thresholds=(50, 200),
    transfer_limits=TransferLimits(max_points=150, max_per_day=3),
    lot_lifetime=timedelta(days=40),
    retention=Retention(duplicates=timedelta(days=200)),  # longer than any history: every redelivery is recognised
)
CUSTOMERS = (ADA, BOB)


def world() -> World:
    return World(shop=SHOP_SETTINGS, rewards=CATALOG, tiers={ADA: "gold"})


@dataclass
class _History:
    lots: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    redemptions: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _credit(draw: st.DrawFn, h: _History, at: datetime, when: datetime, who: str, n: int) -> Input:
    lot = f"lot-{n}"
    h.lots[who].append(lot)
    pending, lifetime = draw(st.sampled_from([0, 0, 3])), draw(st.sampled_from([5, 20, 60]))
    points = draw(st.integers(0, 300))
    return earned(points, at=when, lot=lot, pending=pending * DAY, lifetime=lifetime * DAY, customer=who)


def _claim(draw: st.DrawFn, h: _History, at: datetime, when: datetime, who: str, n: int) -> Input:
    own = draw(st.sampled_from([None, "lot-unknown", *h.lots[who]]))
    return clawback(
        draw(st.integers(0, 200)), lot=own, at=when, may_go_negative=draw(st.booleans()), entry=f"claim-{n}",
        customer=who,
    )  # fmt: skip


def _redeem(draw: st.DrawFn, h: _History, at: datetime, when: datetime, who: str, n: int) -> Input:
    reward_id = draw(st.sampled_from([*CATALOG, *CATALOG, "gone"]))
    cashes = [None, 0, 250, 500, 2_000] if reward_id == "cash" else [None] * 9 + [100]
    cash = draw(st.sampled_from(cashes))
    redemption = f"red-{n}"
    h.redemptions[who].append(redemption)
    quantity = draw(st.sampled_from([1, 1, 1, 2, 3, 0]))
    return request(
        reward_id, quantity=quantity, cash_minor=cash, at=when, redemption=redemption, event_id=f"req-{n}",
        customer=who,
    )  # fmt: skip


def _cancel(draw: st.DrawFn, h: _History, at: datetime, when: datetime, who: str, n: int) -> Input:
    redemption = draw(st.sampled_from(["red-unknown", *h.redemptions[who] * 3]))
    return cancel(redemption, at=when, event_id=f"cancel-{n}", customer=who)


def _adjust(draw: st.DrawFn, h: _History, at: datetime, when: datetime, who: str, n: int) -> Input:
    points = draw(st.integers(-150, 150))
    return adjust(points, at=when, may_go_negative=draw(st.booleans()), event_id=f"adj-{n}", customer=who)


def _transfer(draw: st.DrawFn, h: _History, at: datetime, when: datetime, who: str, n: int) -> Input:
    to = draw(st.sampled_from([c for c in CUSTOMERS if c != who] * 5 + [who]))
    return transfer(draw(st.integers(-5, 200)), to=to, at=when, event_id=f"tr-{n}", customer=who)


def _tick(draw: st.DrawFn, h: _History, at: datetime, when: datetime, who: str, n: int) -> Input:
    return tick(at)


def _freeze(draw: st.DrawFn, h: _History, at: datetime, when: datetime, who: str, n: int) -> Input:
    return freeze(draw(st.booleans()), at=when, event_id=f"freeze-{n}", customer=who)


KINDS = ["credit"] * 4 + ["claim", "redeem", "redeem", "redeem", "cancel", "cancel", "adjust", "transfer",
                         "transfer", "tick", "freeze", "again"]  # fmt: skip
COMMANDS = {"credit": _credit, "claim": _claim, "redeem": _redeem, "cancel": _cancel, "adjust": _adjust,
            "transfer": _transfer, "tick": _tick, "freeze": _freeze}  # fmt: skip


@st.composite
def histories(draw: st.DrawFn) -> list[Input]:
    at, ids, history = T0, itertools.count(), _History()
    commands: list[Input] = []
    for _ in range(draw(st.integers(1, 40))):
        at += timedelta(hours=draw(st.integers(0, 72)))
        when = at - timedelta(hours=draw(st.integers(0, 48))) if draw(st.integers(0, 9)) == 0 else at  # late
        who = draw(st.sampled_from(CUSTOMERS))
        n = next(ids)
        kind = draw(st.sampled_from(KINDS))
        if kind != "again":
            commands.append(COMMANDS[kind](draw, history, at, when, who, n))
            continue
        earlier = [c for c in commands if not isinstance(c, ExpiryTick)]
        if earlier:
            commands.append(draw(st.sampled_from(earlier)))
    return commands


def run(commands: list[Input], deliver_twice: bool = False) -> World:
    ran = world()
    ran.deliver_twice = deliver_twice
    ran.send(*commands)
    return ran


def lot_shares(event: Event) -> tuple[int, list[tuple[str, int]]]:
    """(sign, [(lot_id, points)]) of what an entry moves in lots: -1 takes from them, +1 opens or puts back."""
    match event:
        case ClawbackCollected() | PointsRedeemed():
            return -1, [(s.lot_id, s.points) for s in event.lots]
        case PointsExpired():
            return -1, [(event.lot_id, event.points)]
        case PointsRestored():
            return 1, [(s.lot_id, s.points) for s in event.lots]
        case PointsAdjusted() | PointsTransferred():
            return (1 if event.points > 0 else -1), [(s.lot_id, s.points) for s in event.lots]
        case PointsEarned():
            return 1, [(event.lot_id, event.points)] if event.points else []
    return 0, []


@FAST
@given(histories())
def test_given_any_history_then_every_balance_adds_up_at_every_step(commands: list[Input]) -> None:
    checked = world()
    allowed_negative: set[str] = set()
    for command in commands:
        checked.send(command)
        if isinstance(command, PointsClawedBack | AdjustmentRequested) and command.may_go_negative:
            allowed_negative.add(command.customer_id)
        for customer, account in checked.accounts.items():
            assert account.clock is not None
            now = account.clock
            alive = sum(lot.remaining for lot in account.lots.values() if lot.alive(now))
            # Σ lot remaining (alive) - owed == available + pending
            assert alive - account.owed == account.available(now) + account.pending(now)
            # the ledger's totals match the lots
            assert account.totals.held == sum(lot.remaining for lot in account.lots.values()) - account.owed
            # no lot below zero or above what it was opened with
            assert all(0 <= lot.remaining <= lot.points for lot in account.lots.values())
            # available is never negative unless an owed amount was allowed
            assert account.owed >= 0
            if customer not in allowed_negative:
                assert account.owed == 0
                assert account.available(now) >= 0
                assert account.available(now + 10 * DAY) >= 0


@FAST
@given(histories())
def test_given_any_history_then_each_lot_gives_at_most_what_it_was_opened_with(commands: list[Input]) -> None:
    ran = run(commands)

    opened: dict[str, int] = {}
    net: dict[str, int] = defaultdict(int)
    for event in ran.events:
        sign, shares = lot_shares(event)
        assert len({lot_id for lot_id, _ in shares}) == len(shares)  # a lot appears once per entry
        assert all(points >= 0 for _, points in shares)
        opening = isinstance(event, PointsEarned) or (
            isinstance(event, PointsAdjusted | PointsTransferred) and sign > 0
        )
        for lot_id, points in shares:
            if opening:
                assert lot_id not in opened
                opened[lot_id] = points
            else:
                net[lot_id] += -sign * points
                assert 0 <= net[lot_id] <= opened[lot_id], (lot_id, event)


@FAST
@given(histories())
def test_given_the_same_history_replayed_then_the_same_events_and_accounts(commands: list[Input]) -> None:
    once, twice = run(commands), run(commands)

    assert once.events == twice.events
    assert once.accounts == twice.accounts


@FAST
@given(histories(), st.data())
def test_given_redeliveries_then_nothing_changes(commands: list[Input], data: st.DataObject) -> None:
    n = len(commands)
    if n == 0:
        return
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=10))
    again: dict[int, list[Input]] = defaultdict(list)
    for a, b in pairs:
        if not isinstance(commands[min(a, b)], ExpiryTick):  # a tick has no id: it is idempotent by state
            again[max(a, b)].append(commands[min(a, b)])
    redelivered = [c for i, command in enumerate(commands) for c in (command, *again[i])]

    once, with_duplicates = run(commands), run(redelivered, deliver_twice=True)

    assert with_duplicates.accounts == once.accounts
    assert with_duplicates.events == once.events


@FAST
@given(histories())
def test_given_any_transfer_then_the_points_the_sender_gives_are_exactly_what_the_recipient_gets(
    commands: list[Input],
) -> None:
    ran = run(commands)

    sent = {e.transfer_id: e for e in of_type(ran.events, PointsTransferred) if e.points < 0}
    received = {e.transfer_id: e for e in of_type(ran.events, PointsTransferred) if e.points > 0}
    assert sent.keys() == received.keys()
    for transfer_id, out in sent.items():
        into = received[transfer_id]
        assert into.points == -out.points == sum(s.points for s in out.lots) == sum(s.points for s in into.lots)
        assert (out.customer_id, out.counterparty_id) == (into.counterparty_id, into.customer_id)
        assert [(s.points, s.expires_at) for s in out.lots] == [(s.points, s.expires_at) for s in into.lots]
    totals = [ran.account(c).totals for c in CUSTOMERS]
    assert sum(t.transferred_in for t in totals) == sum(t.transferred_out for t in totals)
    assert len(of_type(ran.events, TransferReceived)) == len(sent)


@FAST
@given(histories())
def test_given_any_cancellation_then_it_restores_exactly_what_was_taken_from_lots_not_expired(
    commands: list[Input],
) -> None:
    ran = run(commands)

    taken = {e.redemption_id: e for e in of_type(ran.events, PointsRedeemed)}
    restored = {e.redemption_id: e for e in of_type(ran.events, PointsRestored)}
    for reversal in of_type(ran.events, RedemptionReversed):
        debit = taken.get(reversal.redemption_id)
        shares = debit.lots if debit else ()
        back = restored[reversal.redemption_id].lots if reversal.redemption_id in restored else ()
        assert sorted(back + reversal.not_restored, key=repr) == sorted(shares, key=repr)
        assert reversal.points_restored == sum(s.points for s in back)
        assert all(s.expires_at is not None and s.expires_at > reversal.occurred_at for s in back)
    assert len({r.redemption_id for r in of_type(ran.events, RedemptionReversed)}) == len(
        of_type(ran.events, RedemptionReversed)
    )


@FAST
@given(histories())
def test_given_any_history_then_the_balance_identity_holds_against_the_entries_written(commands: list[Input]) -> None:
    ran = run(commands)

    for customer in CUSTOMERS:
        mine = [e for e in ran.events if e.customer_id == customer]
        account: Account = ran.account(customer)
        credits = sum(e.points for e in of_type(mine, PointsEarned))
        assert account.totals.lifetime_earned == credits
        redeemed = sum(e.points for e in of_type(mine, PointsRedeemed)) - sum(
            e.points for e in of_type(mine, PointsRestored)
        )
        assert account.totals.redeemed == redeemed
        assert account.totals.expired == sum(e.points for e in of_type(mine, PointsExpired))
        assert account.totals.adjusted == sum(e.points for e in of_type(mine, PointsAdjusted))
        clawed = of_type(mine, ClawbackCollected)
        assert account.totals.clawed_back == sum(e.points + e.owed for e in clawed)


@FAST
@given(histories())
def test_given_any_history_then_folding_each_decision_s_events_with_evolve_gives_the_state_handle_leaves(
    commands: list[Input],
) -> None:
    """`handle` folds with threshold crossings and retention in one pass; `evolve` event by event must agree."""
    w = world()
    context = decider.Context(w.shop, w.stock, Catalog(w.rewards))
    states = {c: decider.State(Account(SHOP, c), w.tiers.get(c, decider.BASE_TIER)) for c in CUSTOMERS}
    for command in commands:
        for customer in CUSTOMERS if isinstance(command, ExpiryTick) else (command.customer_id,):
            before = states[customer]
            after, events = decider.handle(command, before, context)
            folded = before
            for event in events:
                folded = decider.evolve(folded, event, context)
            assert folded == after
            states[customer] = after
