"""The read model's fold and the API's small pure parts (cursors, keys)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.auth import shop_for
from services.gateway.errors import ApiError
from services.gateway.readmodel import Entry, Lot, Totals, apply, available_and_pending, expiring
from services.gateway.routes.customers import decode_cursor, encode_cursor

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def earned(points: int, offset: int = 0) -> Entry:
    return Entry(
        f"e{offset}", "s", "c", "earned", points, "order", f"src{offset}", NOW, f"e{offset}", NOW, NOW, 0, offset
    )


@given(st.lists(st.integers(0, 10**9), max_size=40))
def test_folding_credits_gives_a_balance_equal_to_their_sum_and_never_negative(points: list[int]) -> None:
    totals = Totals()
    for i, p in enumerate(points):
        totals = apply(totals, earned(p, i))
    assert totals.balance == totals.lifetime_earned == sum(points)
    assert totals.balance >= 0


@given(st.lists(st.integers(0, 10**6), max_size=20))
def test_replaying_the_same_entries_gives_the_same_totals(points: list[int]) -> None:
    def fold() -> Totals:
        totals = Totals()
        for i, p in enumerate(points):
            totals = apply(totals, earned(p, i))
        return totals

    assert fold() == fold()


def test_an_unknown_entry_kind_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="unknown ledger entry kind"):
        apply(Totals(), Entry("e", "s", "c", "mystery", 1, "", "", NOW, None, None, None, 0, 0))


def test_a_lot_is_pending_in_its_return_window_then_available_then_gone_when_expired() -> None:
    lot = Lot(100, available_at=NOW + timedelta(days=14), expires_at=NOW + timedelta(days=365))
    assert available_and_pending([lot], NOW) == (0, 100)
    assert available_and_pending([lot], NOW + timedelta(days=14)) == (100, 0)
    assert available_and_pending([lot], NOW + timedelta(days=365)) == (0, 0)


def test_expiring_lists_every_upcoming_lot_soonest_first() -> None:
    later, sooner = Lot(5, NOW, NOW + timedelta(days=300)), Lot(7, NOW, NOW + timedelta(days=30))
    assert expiring([later, sooner, Lot(9, NOW, NOW - timedelta(days=1))], NOW) == [sooner, later]


@given(st.integers(0, 2**62))
def test_a_cursor_round_trips(offset: int) -> None:
    assert decode_cursor(encode_cursor(offset)) == offset


@pytest.mark.parametrize("cursor", ["zzz", "", "eDox", "!!!"])
def test_a_cursor_this_api_did_not_issue_is_a_400(cursor: str) -> None:
    with pytest.raises(ApiError) as raised:
        decode_cursor(cursor)
    assert raised.value.status == 400


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic demo-shop-key", "Bearer wrong"])
def test_a_request_without_a_known_shop_key_is_unauthenticated(header: str | None) -> None:
    with pytest.raises(ApiError) as raised:
        shop_for(header)
    assert raised.value.status == 401


def test_a_shop_key_acts_for_its_own_shop() -> None:
    assert shop_for("Bearer demo-shop-key") == "demo"
