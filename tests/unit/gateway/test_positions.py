"""Read-your-writes positions: parsing what clients send back, and deciding what is still behind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway import positions
from services.gateway.positions import Position, Upstream

LEDGER = "loyalty.ledger"
PROJECTED = frozenset({LEDGER, "loyalty.programs"})
EARN, REDEEM, TIER = Upstream("earn", (LEDGER,)), Upstream("redeem", (LEDGER, "outcomes")), Upstream("tier", ("tiers",))
UPSTREAM = {"shop.orders": (EARN,), LEDGER: (REDEEM, TIER)}


def test_a_writes_position_names_its_record_and_is_reflected_once_the_projection_is_past_it() -> None:
    assert positions.parse("shop.orders:3:41", LEDGER) == [Position("shop.orders", 3, 42)]


def test_a_balances_position_is_the_ledgers_next_offset_as_it_is() -> None:
    assert positions.parse("2:17", LEDGER) == [Position(LEDGER, 2, 17)]


def test_several_positions_are_comma_separated_and_namespaced_topics_keep_their_dots() -> None:
    parsed = positions.parse("ns.shop.orders:0:5, 1:9", LEDGER)
    assert parsed == [Position("ns.shop.orders", 0, 6), Position(LEDGER, 1, 9)]


@pytest.mark.parametrize("text", ["", ",", "orders", "a:b:c", "shop.orders:-1:4", "shop.orders:1:x", ":1:2", "1"])
def test_anything_else_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(positions.InvalidPosition):
        positions.parse(text, LEDGER)


def test_at_most_ten_positions() -> None:
    assert len(positions.parse(",".join(["1:1"] * 10), LEDGER)) == 10
    with pytest.raises(positions.InvalidPosition, match="between 1 and 10"):
        positions.parse(",".join(["1:1"] * 11), LEDGER)


@pytest.mark.parametrize(
    "text",
    ["shop.orders:2147483648:0", "2147483648:0", "shop.orders:0:9223372036854775807", "0:9223372036854775808",
     "0:99999999999999999999", "0:1_000", "0:+5", "0: 5", "\u0661:1", "0:1e3"],
)  # fmt: skip
def test_a_partition_or_offset_kafka_cannot_have_is_refused(text: str) -> None:
    with pytest.raises(positions.InvalidPosition):
        positions.parse(text.encode().decode("unicode_escape"), LEDGER)


@given(st.text(max_size=60))
def test_any_text_is_positions_kafka_can_have_or_refused(text: str) -> None:
    try:
        parsed = positions.parse(text, LEDGER)
    except positions.InvalidPosition:
        return
    assert 1 <= len(parsed) <= positions.MAX_POSITIONS
    for p in parsed:
        assert 0 <= p.partition < 2**31
        assert 0 <= p.next_offset < 2**63


def test_positions_past_the_partition_count_are_unknown() -> None:
    wanted = positions.parse("shop.orders:2:0,shop.orders:3:0,7:1", LEDGER)
    assert positions.unknown_partitions(wanted, 3) == [f"{LEDGER}:7", "shop.orders:3"]


def test_only_projected_topics_are_direct_targets_and_the_highest_offset_wins() -> None:
    wanted = [Position(LEDGER, 1, 5), Position(LEDGER, 1, 9), Position("shop.orders", 1, 3)]
    assert positions.direct_targets(wanted, PROJECTED) == {(LEDGER, 1): 9}


def test_a_topic_no_read_model_follows_is_unknown() -> None:
    wanted = [Position("loyalty.dlq", 0, 1), Position("shop.orders", 0, 1), Position(LEDGER, 0, 1)]
    assert positions.unknown_topics(wanted, PROJECTED, UPSTREAM) == ["loyalty.dlq"]


def test_behind_counts_the_records_still_to_project() -> None:
    targets = {(LEDGER, 0): 10, (LEDGER, 1): 4}
    assert positions.behind(targets, {(LEDGER, 0): 7, (LEDGER, 1): 4}) == {f"{LEDGER}:0": 3}
    assert positions.behind(targets, {}) == {f"{LEDGER}:0": 10, f"{LEDGER}:1": 4}


def test_an_order_is_followed_through_earn_then_the_ledger_through_redeem_and_tier() -> None:
    order, entry = Position("shop.orders", 1, 5), Position(LEDGER, 1, 9)
    assert positions.next_stages([order], UPSTREAM, set()) == {EARN: [order]}
    assert positions.next_stages([entry], UPSTREAM, {("earn", "shop.orders")}) == {REDEEM: [entry], TIER: [entry]}


def test_a_service_that_writes_what_it_reads_is_followed_once() -> None:
    again = Position(LEDGER, 1, 12)
    assert positions.next_stages([again], UPSTREAM, {("redeem", LEDGER), ("tier", LEDGER)}) == {}
    assert positions.next_stages([Position("outcomes", 1, 3), Position("tiers", 1, 2)], UPSTREAM, set()) == {}


offsets = st.dictionaries(st.tuples(st.sampled_from([LEDGER, "t"]), st.integers(0, 5)), st.integers(0, 10**9))


@given(offsets, offsets)
def test_merge_keeps_the_highest_target_of_either(a: dict[tuple[str, int], int], b: dict[tuple[str, int], int]) -> None:
    merged = positions.merge(a, b)
    assert set(merged) == set(a) | set(b)
    assert all(merged[k] == max(a.get(k, 0), b.get(k, 0)) for k in merged)


@given(offsets, offsets)
def test_nothing_is_behind_once_every_stored_position_reached_its_target(
    targets: dict[tuple[str, int], int], extra: dict[tuple[str, int], int]
) -> None:
    assert positions.behind(targets, positions.merge(targets, extra)) == {}


@given(st.text(alphabet="abc.-_", min_size=1, max_size=20), st.integers(0, 1000), st.integers(0, 10**12))
def test_a_written_position_parses_back_to_the_record_after_it(topic: str, partition: int, offset: int) -> None:
    assert positions.parse(f"{topic}:{partition}:{offset}", LEDGER) == [Position(topic, partition, offset + 1)]
