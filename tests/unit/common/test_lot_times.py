"""One rule says when a lot is pending, available or gone; the redeem fold and the read model both follow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.lot_times import phase
from services.readmodels.folds import lots as read_lots
from services.redeem import lots as redeem_lots

T0 = datetime(2026, 3, 1, tzinfo=UTC)
hours = st.integers(min_value=-5, max_value=5).map(lambda h: T0 + timedelta(hours=h))


def test_a_lot_is_pending_then_available_then_gone() -> None:
    available_at, expires_at = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    assert phase(available_at, expires_at, T0) == "pending"
    assert phase(available_at, expires_at, available_at) == "available"
    assert phase(available_at, expires_at, expires_at) == "gone"


def test_expiry_wins_over_availability() -> None:
    assert phase(T0 + timedelta(hours=2), T0 + timedelta(hours=1), T0 + timedelta(hours=1)) == "gone"


@given(hours, hours, hours)
def test_the_redeem_fold_and_the_read_model_count_a_lot_as_the_rule_does(
    available_at: datetime, expires_at: datetime, at: datetime
) -> None:
    held = redeem_lots.Lot("l", 7, 7, available_at, expires_at)
    expected = phase(available_at, expires_at, at)
    assert (held.pending(at), held.available(at), held.alive(at)) == (
        expected == "pending", expected == "available", expected != "gone",
    )  # fmt: skip
    shown = read_lots.view([read_lots.Lot(7, available_at, expires_at)], at)
    assert (shown.available, shown.pending) == (7 * (expected == "available"), 7 * (expected == "pending"))
