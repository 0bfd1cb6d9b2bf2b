"""Properties of the ledger fold over ledgers the redeem service's own decider writes.

Random histories of two customers (credits, clawback claims, redemptions, cancellations,
adjustments, transfers, expiry ticks) are decided by `services.redeem.decider`; earn's entries and
the redeem service's go through the Avro wire into the read model's fold, in the order the log
would hold them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.codec import Codec
from services.readmodels import messages
from services.readmodels.folds import Balance, LedgerRecord, Share, project
from services.redeem import decider
from services.redeem import messages as redeem_wire
from services.redeem.account import Account
from services.redeem.catalog import reward_from
from services.redeem.decider import Shop
from services.redeem.events import (
    AdjustmentRequested,
    ClawbackCollected,
    ExpiryTick,
    OwedRepaid,
    PointsAdjusted,
    PointsExpired,
    PointsRedeemed,
    PointsRestored,
    PointsTransferred,
    RedemptionApproved,
    RedemptionCancelled,
    RedemptionRequested,
    TransferReceived,
    TransferRequested,
)
from tests.unit.gateway.ledger_records import fold
from tests.unit.redeem.support import Catalog, CountedStock

T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)
SHOP, CUSTOMERS = "shop", ("ada", "bo")
THE_SHOP = Shop(secret="s", lot_lifetime=timedelta(days=40))
MUG = reward_from({"name": "Mug", "kind": "physical", "points_price": 70}, SHOP, "mug")
LEDGER_EVENTS = (ClawbackCollected, PointsRedeemed, PointsRestored, PointsExpired,
                 PointsAdjusted, PointsTransferred, OwedRepaid)  # fmt: skip
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
codec = Codec()
Step = tuple[str, str, int, int, bool]
"""(what, customer, points, hours later, a flag: may go negative, or pending)"""


@dataclass
class Log:
    """The ledger as the projector would read it, and each customer's account as the redeem service holds it."""

    records: list[LedgerRecord] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    approved: list[tuple[str, str]] = field(default_factory=list)

    def append(self, name: str, record: dict[str, Any]) -> Any:
        """Appends the record to the ledger; returns what the redeem service reads of it."""
        decoded = codec.decode(codec.encode(name, record))
        self.records.append(messages.ledger_record(decoded, 0, len(self.records)))
        return redeem_wire.command(name, decoded.record)

    def decide(self, customer: str, command: Any) -> None:
        """The redeem decider on the customer's account, with a mug in unlimited stock."""
        state = decider.State(self.accounts.get(customer, Account(SHOP, customer)))
        after, events = decider.handle(command, state, decider.Context(THE_SHOP, CountedStock(), Catalog({"mug": MUG})))
        self.accounts[customer] = after.account
        for event in events:
            if isinstance(event, LEDGER_EVENTS):
                self.append(type(event).__name__, redeem_wire.record(event))
            if isinstance(event, RedemptionApproved):
                self.approved.append((customer, event.redemption_id))
            if isinstance(event, TransferReceived):
                self.decide(event.customer_id, event)


def history(steps: list[Step]) -> Log:
    log, at = Log(), T0
    for n, (what, who, points, hours, flag) in enumerate(steps):
        at += timedelta(hours=hours)
        common = {"shop_id": SHOP, "customer_id": who, "occurred_at": at, "source_event_id": f"event-{n}"}
        if what == "credit":
            lot = f"lot-{n}"
            available_at, expires_at = at + timedelta(days=3 if flag else 0), at + timedelta(days=10 + points % 30)
            credit = {"entry_id": lot, "points": points, "source_type": "OrderPaid", "reason": "order", "lot_id": lot,
                      "available_at": available_at, "expires_at": expires_at}  # fmt: skip
            log.decide(who, log.append("PointsEarned", common | credit))
        elif what == "claim":
            own = next((r.lot_id for r in reversed(log.records) if r.kind == "earned" and r.customer_id == who), None)
            claim = {"entry_id": f"claim-{n}", "points": points, "order_id": "o", "refund_id": f"r-{n}",
                     "reason": "refund", "lot_id": own, "refunded_minor": 1, "may_go_negative": flag}  # fmt: skip
            log.decide(who, log.append("PointsClawedBack", common | claim))
        elif what == "redeem":
            log.decide(who, RedemptionRequested(f"event-{n}", SHOP, who, at, f"red-{n}", "mug", 1 + points % 2))
        elif what == "cancel" and log.approved:
            customer, redemption = log.approved[points % len(log.approved)]
            log.decide(customer, RedemptionCancelled(f"event-{n}", SHOP, customer, at, redemption, "r", "staff"))
        elif what == "adjust":
            signed = points - 150
            log.decide(who, AdjustmentRequested(f"event-{n}", SHOP, who, at, f"a-{n}", signed or 1, "r", "k",
                                                       flag))  # fmt: skip
        elif what == "transfer":
            to = CUSTOMERS[1 - CUSTOMERS.index(who)]
            log.decide(who, TransferRequested(f"event-{n}", SHOP, who, at, f"t-{n}", to, points))
        elif what == "tick":
            for customer in sorted(log.accounts):
                log.decide(customer, ExpiryTick(0, at))
    return log


steps = st.lists(
    st.tuples(
        st.sampled_from(["credit"] * 4 + ["claim", "redeem", "redeem", "cancel", "adjust", "transfer", "tick"]),
        st.sampled_from(CUSTOMERS), st.integers(0, 300), st.sampled_from([0, 1, 24, 24 * 7]), st.booleans(),
    ),
    max_size=40,
).map(history)  # fmt: skip


@FAST
@given(steps)
def test_the_read_model_ends_where_the_redeem_services_own_fold_ends(log: Log) -> None:
    balances, lots, _ = fold(log.records)
    assert project({}, set(), log.records).rejected == ()
    for customer, account in log.accounts.items():
        balance, t = balances.get((SHOP, customer), Balance()), account.totals
        assert (balance.lifetime_earned, balance.redeemed, balance.expired, balance.clawed_back, balance.adjusted,
                balance.transferred_in, balance.transferred_out, balance.owed) == (
            t.lifetime_earned, t.redeemed, t.expired, t.clawed_back, t.adjusted, t.transferred_in, t.transferred_out,
            account.owed,
        )  # fmt: skip
        held = lots.get((SHOP, customer), {})
        assert {k: lot.remaining for k, lot in account.lots.items()} == {k: held[k].remaining for k in account.lots}
        assert all(lot.remaining == 0 for k, lot in held.items() if k not in account.lots)


@FAST
@given(steps)
def test_lots_never_go_below_zero_and_they_hold_the_balance_and_whatever_is_owed(log: Log) -> None:
    balances, lots, rows = fold(log.records)
    for customer, b in balances.items():
        held = lots.get(customer, {}).values()
        assert all(0 <= lot.remaining <= lot.points for lot in held)
        assert sum(lot.remaining for lot in held) - b.owed == b.balance
        assert b.balance == (b.lifetime_earned + b.adjusted + b.transferred_in - b.transferred_out - b.redeemed
                             - b.expired - b.clawed_back)  # fmt: skip
    running: dict[str, int] = {}
    for row in rows:
        running[row.record.customer_id] = running.get(row.record.customer_id, 0) + row.points
        assert row.balance_after == running[row.record.customer_id]


@FAST
@given(steps, st.lists(st.integers(0, 60), max_size=5))
def test_replaying_the_ledger_in_any_batches_gives_identical_rows_lots_and_balances(log: Log, cuts: list[int]) -> None:
    assert fold(log.records, cuts) == fold(log.records)
    balances, lots, rows = fold(log.records)
    again = project(balances, {row.record.entry_id for row in rows}, log.records, lots)
    assert (again.rows, dict(again.balances), dict(again.lots), again.duplicates) == ((), {}, {}, len(log.records))


def corruptions(record: LedgerRecord) -> Iterator[LedgerRecord]:
    """The entry naming a lot nobody holds, or taking (or giving back) more than its lot can."""
    if not record.shares or (record.kind in ("adjusted", "transferred") and record.points > 0):
        return
    first, excess = record.shares[0], 10**9
    yield replace(record, shares=(replace(first, lot_id="lot-nobody"), *record.shares[1:]))
    bigger = (replace(first, points=first.points + excess), *record.shares[1:])
    yield replace(record, shares=bigger, points=record.points + (-excess if record.points < 0 else excess))


@FAST
@given(steps, st.data())
def test_an_entry_with_a_share_that_does_not_fit_is_refused_and_the_rest_is_as_if_it_were_not_there(
    log: Log, data: st.DataObject
) -> None:
    candidates = [(i, bad) for i, record in enumerate(log.records) for bad in corruptions(record)]
    if not candidates:
        return
    i, bad = data.draw(st.sampled_from(candidates))
    corrupted = [*log.records[:i], bad, *log.records[i + 1 :]]
    without = [*log.records[:i], *log.records[i + 1 :]]
    projection = project({}, set(), corrupted)
    assert bad in [record for record, _ in projection.rejected]
    assert fold(corrupted) == fold(without)


def test_shares_named_by_the_redeem_domain_reach_the_fold_as_they_were_decided() -> None:
    log = history([("credit", "ada", 100, 0, False), ("redeem", "ada", 0, 1, False)])
    [earned, redeemed] = log.records
    assert (redeemed.kind, redeemed.points) == ("redeemed", 70)
    assert redeemed.shares == (Share("lot-0", 70, earned.expires_at),)
