"""The pure parts of idempotency keys: which keys are valid, what makes two requests the same, what is kept."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from services.gateway.commands import command_id
from services.gateway.credentials import Credential
from services.gateway.idempotency import CLAIM, fingerprint, owner, storable, valid_key
from services.gateway.shown_once import without_secrets
from services.gateway.tables.idempotency import Claim


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


@given(st.dictionaries(st.sampled_from(["key", "token", "key_id", "expires_at", "label"]), st.text(max_size=10)))
def test_an_answer_holding_a_secret_is_kept_without_it(answer: dict[str, str]) -> None:
    kept = json.loads(without_secrets(json.dumps(answer).encode()))
    assert kept == {k: v for k, v in answer.items() if k not in ("key", "token")}
    assert json.loads(without_secrets(b"not json")) == {}


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20), st.binary(max_size=20))
def test_a_command_takes_the_same_id_from_the_same_key_and_request_and_another_from_another_request(
    key: str, other_key: str, body: bytes
) -> None:
    north = owner(Credential("north", frozenset(), "shop-key:a1"))
    claim = Claim(north, key, fingerprint("POST", "/v1/transfers", b"", body), uuid.uuid4())
    again = Claim(north, key, claim.fingerprint, uuid.uuid4())
    ids = {asyncio.run(command_id(requested(c))) for c in (claim, again)}
    assert len(ids) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", ids.pop())
    other_request = Claim(north, key, fingerprint("POST", "/v1/transfers", b"", body + b" "), uuid.uuid4())
    other = Claim(north, other_key, claim.fingerprint, uuid.uuid4())
    assert asyncio.run(command_id(requested(other_request))) != asyncio.run(command_id(requested(claim)))
    if other_key != key:
        assert asyncio.run(command_id(requested(other))) != asyncio.run(command_id(requested(claim)))


def test_a_command_sent_without_a_key_is_a_new_command_each_time() -> None:
    assert asyncio.run(command_id(requested(None))) != asyncio.run(command_id(requested(None)))


def requested(claim: Claim | None) -> Request:
    return Request({"type": "http", "state": {} if claim is None else {CLAIM: claim}})
