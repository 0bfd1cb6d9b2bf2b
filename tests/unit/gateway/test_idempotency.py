"""The pure parts of idempotency keys: which keys are valid, what makes two requests the same, what is kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.credentials import Credential
from services.gateway.idempotency import fingerprint, owner, storable, valid_key


@pytest.mark.parametrize("key", ["a", "order-1001-retry", "x" * 255, " spaced key ", "~!@#$%^&*()"])
def test_one_to_255_printable_ascii_characters_are_a_key(key: str) -> None:
    assert valid_key([key]) == key


@pytest.mark.parametrize("keys", [[""], ["x" * 256], ["tab\there"], ["é"], ["new\nline"], ["\x7f"], ["a", "b"]])
def test_empty_long_unprintable_or_repeated_keys_are_refused(keys: list[str]) -> None:
    assert valid_key(keys) is None


def test_the_same_request_has_the_same_fingerprint() -> None:
    assert fingerprint("POST", "/v1/events", b"", b'{"a": 1}') == fingerprint("post", "/v1/events", b"", b'{"a": 1}')
    assert len(fingerprint("POST", "/v1/events", b"", b"")) == 64


@pytest.mark.parametrize(
    "other",
    [("PUT", "/v1/events", b"", b'{"a": 1}'), ("POST", "/v1/transfers", b"", b'{"a": 1}'),
     ("POST", "/v1/events", b"x=1", b'{"a": 1}'), ("POST", "/v1/events", b"", b'{"a":1}')],
)  # fmt: skip
def test_a_different_method_path_query_or_body_byte_is_a_different_request(other: tuple[str, str, bytes, bytes]):
    assert fingerprint(*other) != fingerprint("POST", "/v1/events", b"", b'{"a": 1}')


@given(st.binary(max_size=20), st.binary(max_size=20), st.binary(max_size=20), st.binary(max_size=20))
def test_moving_bytes_between_query_and_body_changes_the_fingerprint(q1: bytes, b1: bytes, q2: bytes, b2: bytes):
    if (q1, b1) != (q2, b2):
        assert fingerprint("POST", "/v1/x", q1, b1) != fingerprint("POST", "/v1/x", q2, b2)


def test_keys_belong_to_a_hash_of_the_shop_and_the_key_or_customer_never_to_the_credential_itself() -> None:
    north, south = Credential("north", frozenset(), "shop-key:a1"), Credential("south", frozenset(), "shop-key:a1")
    ada = Credential("north", frozenset(), "customer:ada", "ada")
    assert len({owner(north), owner(south), owner(ada)}) == 3
    assert "a1" not in owner(north)
    assert owner(ada) == owner(Credential("north", frozenset(), "customer:ada", "ada"))


@pytest.mark.parametrize(("status", "kept"), [(200, True), (202, True), (400, True), (404, True), (409, True),
                                              (422, True), (401, False), (403, False), (429, False), (500, False),
                                              (503, False)])  # fmt: skip
def test_answers_a_retry_should_not_repeat_are_not_kept(status: int, kept: bool) -> None:
    assert storable(status) is kept
