"""Ledger cursors are opaque, round-trip, and anything else is refused."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway import cursors


@given(st.integers(0, 2**63 - 1))
def test_a_cursor_round_trips_to_its_offset(offset: int) -> None:
    assert cursors.decode(cursors.encode(offset)) == offset


def test_a_cursor_does_not_show_the_offset_in_plain_text() -> None:
    assert "1234" not in cursors.encode(1234)


@pytest.mark.parametrize(
    "cursor",
    ["", "zzz", "!!!", "eDox", base64.urlsafe_b64encode(b"v1:-5").decode(), base64.urlsafe_b64encode(b"v2:5").decode()],
)
def test_a_cursor_this_api_did_not_issue_is_refused(cursor: str) -> None:
    with pytest.raises(cursors.InvalidCursor):
        cursors.decode(cursor)


@given(st.text(max_size=40))
def test_decoding_any_text_either_gives_an_offset_or_refuses_it(text: str) -> None:
    with contextlib.suppress(cursors.InvalidCursor):
        assert cursors.decode(text) >= 0


@pytest.mark.parametrize("offset", [b"9223372036854775808", b"99999999999999999999", b"9" * 120])
def test_a_cursor_past_a_64_bit_offset_is_refused(offset: bytes) -> None:
    with pytest.raises(cursors.InvalidCursor):
        cursors.decode(base64.urlsafe_b64encode(b"v1:" + offset).decode())


@given(st.text(max_size=200))
def test_any_text_is_a_cursor_to_an_offset_the_ledger_can_hold_or_refused(cursor: str) -> None:
    with contextlib.suppress(cursors.InvalidCursor):
        assert 0 <= cursors.decode(cursor) < 2**63
