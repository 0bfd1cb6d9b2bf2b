"""Tiers: given ledger entries, when time passes, then these tier changes (README: Tiers)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.records import TierChanged
from services.tier.domain import Evaluate, evaluate, qualifying_points
from services.tier.ladder import DEFAULT_RULES, Tier, TierRules
from services.tier.progress import standing
from tests.unit.tier.fold import DAY, MS, T0, clawed, earned, fold, moves

YEAR = 365 * DAY


def test_reaching_exactly_the_silver_threshold_upgrades_at_once() -> None:
    state, changes = fold([earned(999), earned(1, T0 + DAY)])
    assert changes == [TierChanged("shop", "c-1", T0 + DAY, "member", "silver", "upgrade", 1_000)]
    assert state.tier == "silver"


def test_one_point_short_of_silver_stays_member() -> None:
    state, changes = fold([earned(999)])
    assert (state.tier, changes) == ("", [])


def test_a_jump_from_member_to_gold_is_one_change() -> None:
    _, changes = fold([earned(300), earned(4_700, T0 + DAY)])
    assert moves(changes) == [("member", "gold", "upgrade")]
    assert changes[0].qualifying_points == 5_000


def test_the_tier_holds_until_the_window_moves_past_the_points_that_earned_it() -> None:
    _, before = fold([earned(1_000)], until=T0 + YEAR - MS)
    _, after = fold([earned(1_000)], until=T0 + YEAR)
    assert moves(before) == [("member", "silver", "upgrade")]
    assert after[1] == TierChanged("shop", "c-1", T0 + YEAR, "silver", "member", "window", 0)


def test_points_earned_later_keep_the_tier_past_the_first_points_leaving_the_window() -> None:
    entries = [earned(1_000), earned(1_000, T0 + 200 * DAY)]
    _, changes = fold(entries, until=T0 + YEAR + 199 * DAY)
    assert moves(changes) == [("member", "silver", "upgrade")]
    _, changes = fold(entries, until=T0 + YEAR + 200 * DAY)
    assert moves(changes)[-1] == ("silver", "member", "window")


def test_a_downgrade_goes_to_the_tier_the_remaining_points_give() -> None:
    _, changes = fold([earned(4_000), earned(1_500, T0 + 100 * DAY)], until=T0 + YEAR)
    assert moves(changes) == [
        ("member", "silver", "upgrade"),
        ("silver", "gold", "upgrade"),
        ("gold", "silver", "window"),
    ]
    assert changes[-1].qualifying_points == 1_500


def test_the_grace_period_delays_a_downgrade_from_the_moment_the_points_fell_below() -> None:
    rules = TierRules(grace_days=30)
    _, during = fold([earned(1_000)], rules, until=T0 + YEAR + 30 * DAY - MS)
    _, after = fold([earned(1_000)], rules, until=T0 + YEAR + 30 * DAY)
    assert moves(during) == [("member", "silver", "upgrade")]
    assert after[-1] == TierChanged("shop", "c-1", T0 + YEAR + 30 * DAY, "silver", "member", "window", 0)


def test_earning_back_above_the_threshold_during_the_grace_period_keeps_the_tier() -> None:
    rules = TierRules(grace_days=30)
    _, changes = fold([earned(1_000), earned(1_000, T0 + YEAR + 10 * DAY)], rules, until=T0 + YEAR + 60 * DAY)
    assert moves(changes) == [("member", "silver", "upgrade")]


def test_a_calendar_year_ends_at_midnight_in_the_shops_time_zone_not_in_utc() -> None:
    rules = TierRules(mode="calendar_year", timezone="Asia/Shanghai")
    last_minute_of_2026 = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    new_year = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 in Shanghai
    _, changes = fold([earned(1_000, last_minute_of_2026)], rules, until=new_year)
    assert changes[-1] == TierChanged("shop", "c-1", new_year, "silver", "member", "window", 0)
    _, held = fold([earned(1_000, new_year)], rules, until=datetime(2027, 12, 31, 15, 59, tzinfo=UTC))
    assert moves(held) == [("member", "silver", "upgrade")]
    _, utc = fold([earned(1_000, last_minute_of_2026)], TierRules(mode="calendar_year"), until=new_year)
    assert moves(utc) == [("member", "silver", "upgrade")]


def test_a_clawback_reduces_qualifying_points_at_once_and_can_downgrade() -> None:
    credit = earned(1_200, entry_id="order-1")
    state, changes = fold([credit, clawed(300, T0 + 5 * DAY, of="order-1")])
    assert changes[-1] == TierChanged("shop", "c-1", T0 + 5 * DAY, "silver", "member", "clawback", 900)
    assert qualifying_points(state.entries, T0 + 5 * DAY, DEFAULT_RULES) == 900


def test_a_downgrade_after_a_clawback_waits_for_the_grace_period_too() -> None:
    rules = TierRules(grace_days=10)
    entries = [earned(1_200, entry_id="order-1"), clawed(1_200, T0 + 5 * DAY, of="order-1")]
    _, during = fold(entries, rules, until=T0 + 15 * DAY - MS)
    _, after = fold(entries, rules, until=T0 + 15 * DAY)
    assert moves(during) == [("member", "silver", "upgrade")]
    assert moves(after)[-1] == ("silver", "member", "clawback")


def test_a_clawback_of_a_credit_already_outside_the_window_takes_nothing() -> None:
    entries = [earned(800, entry_id="old"), earned(1_000, T0 + 300 * DAY), clawed(800, T0 + YEAR + DAY, of="old")]
    state, changes = fold(entries)
    assert qualifying_points(state.entries, T0 + YEAR + DAY, DEFAULT_RULES) == 1_000
    assert moves(changes) == [("member", "silver", "upgrade")]


def test_a_clawback_leaves_the_window_together_with_the_credit_it_reduced() -> None:
    entries = [
        earned(1_000, entry_id="order-1"),
        earned(1_500, T0 + 100 * DAY),
        clawed(500, T0 + 150 * DAY, of="order-1"),
    ]
    state, changes = fold(entries, until=T0 + YEAR)
    assert qualifying_points(state.entries, T0 + YEAR, DEFAULT_RULES) == 1_500
    assert moves(changes) == [("member", "silver", "upgrade")]


def test_a_clawback_naming_no_credit_counts_against_the_window_at_its_own_time_and_never_below_zero() -> None:
    state, changes = fold([earned(100), clawed(500, T0 + DAY)])
    assert qualifying_points(state.entries, T0 + DAY, DEFAULT_RULES) == 0
    assert changes == []


def test_points_that_do_not_qualify_never_count_towards_a_tier() -> None:
    state, changes = fold([earned(5_000, qualifying=False), earned(900), clawed(900, T0 + DAY, qualifying=False)])
    assert changes == []
    assert qualifying_points(state.entries, T0 + DAY, DEFAULT_RULES) == 900


def test_a_duplicated_ledger_entry_counts_once() -> None:
    entries = [earned(600, entry_id="e-1"), earned(600, T0 + DAY, entry_id="e-1")]
    state, changes = fold(entries)
    assert (changes, qualifying_points(state.entries, T0 + DAY, DEFAULT_RULES)) == ([], 600)
    duplicate_clawback = clawed(100, T0 + 2 * DAY, of="e-1", entry_id="r-1")
    state, _ = fold([*entries, duplicate_clawback, duplicate_clawback])
    assert qualifying_points(state.entries, T0 + 2 * DAY, DEFAULT_RULES) == 500


def test_an_entry_older_than_the_last_evaluation_is_evaluated_at_it() -> None:
    _, changes = fold([earned(600, T0 + 10 * DAY), earned(600, T0)])
    assert changes[-1].occurred_at == T0 + 10 * DAY


def test_a_tier_the_program_no_longer_has_is_replaced_by_the_tier_the_points_give() -> None:
    silver, _ = fold([earned(1_500)])
    renamed = TierRules(tiers=(Tier("member", 0), Tier("bronze", 1_000), Tier("gold", 5_000)))
    _, changes = evaluate(Evaluate("shop", "c-1", T0 + DAY), silver, renamed)
    assert moves(changes) == [("silver", "bronze", "program")]


def test_standing_shows_the_qualifying_points_and_what_the_next_tier_needs() -> None:
    entries = [earned(700, T0), earned(600, T0 + DAY, entry_id="o-2"), clawed(100, T0 + 2 * DAY, of="o-2")]
    now = T0 + 3 * DAY
    assert standing("silver", entries, now, DEFAULT_RULES) == standing("silver", reversed(entries), now, DEFAULT_RULES)
    progress = standing("silver", entries, now, DEFAULT_RULES)
    assert (progress.tier, progress.qualifying_points, progress.window_days) == ("silver", 1_200, 365)
    assert (progress.next_tier, progress.points_to_next) == ("gold", 3_800)
    top = standing("diamond", [earned(25_000)], now, DEFAULT_RULES)
    assert (top.next_tier, top.points_to_next) == (None, None)
