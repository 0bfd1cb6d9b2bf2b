"""Clawbacks in the read model: earn's claim changes nothing; the redeem service's collection takes its named shares."""

from __future__ import annotations

from services.readmodels.folds import Balance, project
from tests.unit.gateway.ledger_records import claim, collected, credit, debit, fold, remaining


def test_a_claim_is_a_row_of_zero_points_that_keeps_what_it_asks_for_tier_progress() -> None:
    balances, lots, rows = fold([credit(1, 100), claim(2, 60, lot=1)])
    assert [(r.record.kind, r.points, r.balance_after, r.claimed) for r in rows] == [
        ("earned", 100, 100, 0), ("clawback_claimed", 0, 100, 60),
    ]  # fmt: skip
    assert rows[-1].record.earned_entry_id == "lot-1"
    assert remaining(lots) == {"lot-1": 100}
    assert balances[("shop", "ada")] == Balance(balance=100, lifetime_earned=100)


def test_the_collection_takes_exactly_the_shares_it_names_from_the_lots_it_names() -> None:
    records = [credit(1, 100, expires_days=300), credit(2, 100, expires_days=30), credit(3, 50, pending_days=14),
               claim(4, 130, lot=3), collected(5, [(3, 50), (2, 80)])]  # fmt: skip
    balances, lots, rows = fold(records)
    assert remaining(lots) == {"lot-1": 100, "lot-2": 20, "lot-3": 0}
    assert (rows[-1].record.kind, rows[-1].points, rows[-1].balance_after) == ("clawed_back", -130, 120)
    assert balances[("shop", "ada")] == Balance(balance=120, lifetime_earned=250, clawed_back=130)


def test_what_the_collection_could_not_take_is_uncollected_on_its_row_and_the_balance_stops_at_zero() -> None:
    balances, _, rows = fold([credit(1, 40), claim(2, 100, lot=1), collected(3, [(1, 40)], uncollected=60)])
    assert (rows[-1].points, rows[-1].uncollected, rows[-1].balance_after) == (-40, 60, 0)
    assert balances[("shop", "ada")] == Balance(balance=0, lifetime_earned=40, clawed_back=40)


def test_owed_takes_the_balance_below_zero_and_the_next_credits_repay_it_before_filling_their_lots() -> None:
    records = [credit(1, 40), claim(2, 100, lot=1), collected(3, [(1, 40)], owed=60), credit(4, 25),
               debit("owed_repaid", 5, [(4, 25)]), credit(6, 50), debit("owed_repaid", 7, [(6, 35)])]  # fmt: skip
    balances, lots, rows = fold(records)
    assert [(r.points, r.balance_after) for r in rows] == [
        (40, 40), (0, 40), (-100, -60), (25, -35), (0, -35), (50, 15), (0, 15),
    ]  # fmt: skip
    assert remaining(lots) == {"lot-1": 0, "lot-4": 0, "lot-6": 15}
    assert balances[("shop", "ada")] == Balance(balance=15, lifetime_earned=115, clawed_back=100, owed=0)


def test_a_collection_whose_shares_do_not_fit_is_refused_and_changes_nothing() -> None:
    records = [credit(1, 40), claim(2, 50, lot=1)]
    for bad, reason in [
        (collected(3, [(1, 41)]), "which has 40 left"),
        (collected(3, [(9, 10)]), "which the customer does not hold"),
        (collected(3, [(1, 10)], owed=-1), "never negative"),
    ]:
        projection = project({}, set(), [*records, bad])
        [(record, why)] = projection.rejected
        assert (record.entry_id, reason in why) == (bad.entry_id, True)
        assert projection.balances[("shop", "ada")].balance == 40


def test_a_share_of_another_customers_lot_is_refused() -> None:
    [(_, reason)] = project({}, set(), [credit(1, 40, customer="bo"), collected(2, [(1, 10)])]).rejected
    assert "does not hold" in reason


def test_an_earn_credit_opens_a_whole_lot_while_points_are_owed_and_only_the_repayment_named_takes_from_it() -> None:
    balances, lots, _ = fold([credit(1, 40), claim(2, 100, lot=1), collected(3, [(1, 40)], owed=60), credit(4, 25)])
    assert remaining(lots) == {"lot-1": 0, "lot-4": 25}
    assert balances[("shop", "ada")].owed == 60
