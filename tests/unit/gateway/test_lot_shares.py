"""The redeem service's entries in the read model: each applies the lot shares it names, and nothing else."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.readmodels.folds import Balance, LedgerRecord, Share, project
from tests.unit.gateway.ledger_records import (
    DAY,
    NOW,
    adjusted,
    credit,
    debit,
    entry,
    expired,
    fold,
    remaining,
    transferred,
)

ADA = ("shop", "ada")


def test_a_redemption_takes_its_shares_and_a_restore_puts_them_back_into_the_same_lots() -> None:
    records = [credit(1, 100), credit(2, 50), debit("redeemed", 3, [(2, 50), (1, 30)])]
    balances, lots, rows = fold(records)
    assert (remaining(lots), rows[-1].points, balances[ADA].redeemed) == ({"lot-1": 70, "lot-2": 0}, -80, 80)
    balances, lots, rows = fold([*records, debit("restored", 4, [(2, 50)])])
    assert remaining(lots) == {"lot-1": 70, "lot-2": 50}
    assert balances[ADA] == Balance(balance=120, lifetime_earned=150, redeemed=30)


def test_a_restore_never_gives_a_lot_more_than_it_gave() -> None:
    records = [credit(1, 100), debit("redeemed", 2, [(1, 30)]), debit("restored", 3, [(1, 31)])]
    [(record, reason)] = project({}, set(), records).rejected
    assert (record.kind, "gave only 30" in reason) == ("restored", True)


def test_an_expiry_empties_its_lot() -> None:
    balances, lots, rows = fold([credit(1, 100), credit(2, 10), debit("redeemed", 3, [(1, 40)]), expired(4, 1, 60)])
    assert remaining(lots) == {"lot-1": 0, "lot-2": 10}
    assert (rows[-1].record.kind, rows[-1].points, rows[-1].balance_after) == ("expired", -60, 10)
    assert (balances[ADA].expired, balances[ADA].redeemed) == (60, 40)


def test_an_adjustment_credit_opens_a_lot_with_its_dates_and_a_debit_owes_what_the_lots_did_not_cover() -> None:
    balances, lots, rows = fold([credit(1, 20), adjusted(2, 50), adjusted(3, -100, [(1, 20), (2, 50)], owed=30)])
    opened = lots[ADA]["lot-2"]
    assert (opened.points, opened.available_at, opened.expires_at) == (50, NOW, NOW + 30 * DAY)
    assert [r.points for r in rows] == [20, 50, -100]
    assert balances[ADA] == Balance(balance=-30, lifetime_earned=20, owed=30, adjusted=-50)
    balances, lots, _ = fold([credit(1, 20), adjusted(2, 50), adjusted(3, -100, [(1, 20), (2, 50)], owed=30),
                              adjusted(4, 40)])  # fmt: skip
    assert (remaining(lots)["lot-4"], balances[ADA].owed, balances[ADA].balance) == (10, 0, 10)


def test_a_transfer_out_takes_shares_and_a_transfer_in_opens_one_lot_per_share_available_at_once() -> None:
    out = transferred(3, -70, [(1, 50), (2, 20)])
    into = transferred(4, 70, [(41, 50), (42, 20)], customer="bo")
    balances, lots, _ = fold([credit(1, 50), credit(2, 100), out, into])
    assert remaining(lots) == {"lot-1": 0, "lot-2": 80}
    assert remaining(lots, "bo") == {"lot-41": 50, "lot-42": 20}
    assert {(lot.available_at, lot.expires_at) for lot in lots[("shop", "bo")].values()} == {(NOW, NOW + 90 * DAY)}
    assert (balances[ADA].transferred_out, balances[("shop", "bo")].transferred_in) == (70, 70)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (debit("redeemed", 9, [(1, 101)]), "which has 100 left"),
        (debit("redeemed", 9, [(7, 1)]), "does not hold"),
        (replace(debit("redeemed", 9, [(1, 10)]), points=11), "add up to 10"),
        (debit("redeemed", 9, [(1, 60), (1, 60)]), "which has 40 left"),
        (expired(9, 1, 101), "which has 100 left"),
        (replace(expired(9, 1, 10), lot_id=None), "names its lot"),
        (adjusted(9, -10, [(1, 5)]), "add up to 5"),
        (replace(adjusted(9, 10), shares=(Share("lot-9", 5),)), "one lot of its points"),
        (replace(adjusted(9, 10), shares=(Share("lot-1", 10),)), "opened by another entry"),
        (entry("adjusted", 9, 0), "moves points"),
        (transferred(9, 10, [(1, 10)]), "opened by another entry"),
        (replace(transferred(9, 10, [(8, 10)]), shares=(Share("lot-8", 10),)), "expiry date"),
        (transferred(9, 20, [(8, 10), (8, 10)]), "each lot once"),
        (entry("redeemed", 9, -5), "never negative"),
        (entry("mystery", 9, 5), "unknown ledger entry kind"),
    ],
)
def test_an_entry_whose_shares_break_the_contract_is_refused_and_not_applied(bad: LedgerRecord, reason: str) -> None:
    projection = project({}, set(), [credit(1, 100), bad])
    [(record, why)] = projection.rejected
    assert record == bad
    assert reason in why
    assert projection.balances[ADA] == Balance(balance=100, lifetime_earned=100)
    assert [lot.remaining for lot in projection.lots[ADA].values()] == [100]
