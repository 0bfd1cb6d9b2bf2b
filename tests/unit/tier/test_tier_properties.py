"""Properties of the tier fold over arbitrary ledgers: clamped, replayable, consistent, storable."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.tier import decider, messages
from services.tier.domain import LedgerEntry, qualifying_points
from services.tier.ladder import DEFAULT_RULES, Tier, TierRules
from tests.unit.tier.fold import T0, clawed, earned, fold

RULES = st.sampled_from(
    [
        DEFAULT_RULES,
        TierRules(grace_days=30),
        TierRules(days=30),
        TierRules(mode="calendar_year", timezone="America/New_York"),
        TierRules(tiers=(Tier("member", 0), Tier("silver", 50), Tier("gold", 120), Tier("diamond", 400)), days=60),
    ]
)


@st.composite
def ledgers(draw: st.DrawFn) -> list[LedgerEntry]:
    at, entries = T0, list[LedgerEntry]()
    for i in range(draw(st.integers(0, 30))):
        at += timedelta(hours=draw(st.integers(0, 24 * 120)))
        points = draw(st.integers(0, 600))
        qualifying = draw(st.booleans().map(lambda b: b or draw(st.integers(0, 9)) > 0))
        kind = draw(st.sampled_from(["earned", "earned", "clawed_back", "duplicate"]))
        credits = [e.entry_id for e in entries if e.kind == "earned"]
        if kind == "duplicate" and entries:
            entries.append(draw(st.sampled_from(entries)))
        elif kind == "clawed_back":
            of = draw(st.sampled_from([None, *credits]))
            entries.append(clawed(points, at, of=of, entry_id=f"r-{i}", qualifying=qualifying))
        else:
            entries.append(earned(points, at, entry_id=f"o-{i}", qualifying=qualifying))
    return entries


until = st.integers(0, 24 * 900).map(lambda hours: T0 + timedelta(hours=hours))


@given(ledgers(), RULES, until)
def test_qualifying_points_are_never_negative_even_when_clawbacks_exceed_earnings(entries, rules, end) -> None:
    state, changes = fold(entries, rules, until=max(end, *(e.occurred_at for e in entries), T0))
    assert all(c.qualifying_points >= 0 for c in changes)
    assert state.clock is None or qualifying_points(state.entries, state.clock, rules) >= 0


@settings(max_examples=200)
@given(ledgers(), RULES, until)
def test_replaying_the_same_entries_with_duplicates_gives_the_same_state_and_tier_changes(entries, rules, end) -> None:
    last = max(end, *(e.occurred_at for e in entries), T0)
    once = fold(entries, rules, until=last)
    assert fold(entries, rules, until=last) == once
    assert fold([e for entry in entries for e in (entry, entry)], rules, until=last) == once


@settings(max_examples=200)
@given(ledgers(), RULES, until)
def test_every_change_goes_to_the_tier_the_thresholds_give_for_its_qualifying_points(entries, rules, end) -> None:
    _, changes = fold(entries, rules, until=max(end, *(e.occurred_at for e in entries), T0))
    held = rules.base
    for change in changes:
        to = rules.tier_for(change.qualifying_points)
        assert (change.from_tier, change.to_tier) == (held.name, to.name)
        rising = rules.rank(to) > rules.rank(held)
        assert rising == (change.reason == "upgrade")
        held = to
    assert [c.occurred_at for c in changes] == sorted(c.occurred_at for c in changes)


@given(ledgers(), RULES)
def test_an_upgrade_is_never_left_pending_and_the_next_due_date_is_in_the_future(entries, rules) -> None:
    state, _ = fold(entries, rules)
    if state.clock is not None:
        reached = rules.tier_for(qualifying_points(state.entries, state.clock, rules))
        tier = rules.find(state.tier) or rules.base
        assert rules.rank(tier) >= rules.rank(reached)
        assert state.due is None or state.due > state.clock


@given(ledgers(), RULES, until)
def test_the_state_round_trips_through_its_stored_bytes(entries, rules, end) -> None:
    state, _ = fold(entries, rules, until=end)
    assert messages.load_state(messages.dump_state(state)) == state


@settings(max_examples=150, deadline=None)
@given(ledgers(), RULES)
def test_every_decision_leaves_the_tier_its_last_change_names_and_its_events_fold_to_the_state_handle_leaves(
    entries, rules
) -> None:
    context, state, stream_time = decider.Context(lambda _: rules), decider.initial_state, None
    for entry in entries:
        stream_time = decider.stream_time_after(stream_time, entry.occurred_at)
        for command in (decider.DowngradesDue("shop", "c-1", stream_time), decider.EntryLogged(entry, stream_time)):
            events = decider.decide(command, state, context)
            after = state
            for event in events:
                after = decider.evolve(after, event, context)
            assert (after, events) == decider.handle(command, state, context)
            if changes := decider.changes(events):
                assert after.tier == changes[-1].to_tier
            state = after
