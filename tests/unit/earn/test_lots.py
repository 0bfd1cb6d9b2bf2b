"""Every credit is a lot: pending for the return window, expiring after the lot lifetime, named by its entry."""

from __future__ import annotations

from datetime import timedelta

from services.earn.commands import Command
from services.earn.events import entry_id
from services.program import parse_program
from tests.unit.earn.support import MONDAY, SHOP, earn, fold, order, task


def test_given_the_default_program_then_a_credit_is_available_at_once_and_expires_after_365_days() -> None:
    credit = earn([order(1_000, event_id="paid-1")])

    assert credit.available_at == MONDAY
    assert credit.expires_at == MONDAY + timedelta(days=365)
    assert credit.held is None


def test_given_a_return_window_then_a_credit_is_pending_until_it_ends() -> None:
    program = parse_program({"return_window_days": 14, "lot_lifetime_days": 90})

    credit = earn([order(1_000)], program)

    assert credit.available_at == MONDAY + timedelta(days=14)
    assert credit.expires_at == MONDAY + timedelta(days=90)


def test_given_a_task_then_its_credit_is_a_lot_with_the_same_dates() -> None:
    program = parse_program({"return_window_days": 14, "lot_lifetime_days": 90})

    credit = earn([task("signup")], program)

    assert credit.available_at == MONDAY + timedelta(days=14)
    assert credit.expires_at == MONDAY + timedelta(days=90)


def test_given_a_credit_then_its_lot_is_its_entry_and_the_entry_is_named_by_the_event() -> None:
    credit = earn([order(1_000, event_id="paid-1")])

    assert credit.lot_id == credit.entry_id
    assert credit.entry_id == entry_id(SHOP, "paid-1", "earned")
    assert len(credit.entry_id) == 32
    assert credit.source_event_id == "paid-1"


def test_given_the_same_events_replayed_then_the_same_entries_are_written() -> None:
    commands: list[Command] = [order(1_000, event_id="paid-1"), task("review", "SKU-1", event_id="task-1")]

    assert fold(commands).events == fold(commands).events


def test_given_different_shops_then_the_same_event_id_names_different_entries() -> None:
    assert entry_id("shop-a", "e-1", "earned") != entry_id("shop-b", "e-1", "earned")
    assert entry_id("shop-a", "e-1", "earned") != entry_id("shop-a", "e-1", "clawed_back")


def test_given_a_program_version_then_the_credit_records_it() -> None:
    assert earn([order(1_000)], parse_program({}, version=4)).rule_version == 4
