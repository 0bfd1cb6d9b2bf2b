"""The NUL character, raw or JSON-escaped, is found wherever it is, and nothing else is taken for it."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from services.gateway.nul import carries_nul

texts = st.text(st.characters(codec="utf-8"), max_size=30)


@given(texts, texts)
def test_a_json_document_carrying_nul_in_any_string_is_found(before: str, after: str) -> None:
    for ensure_ascii in (True, False):
        document = json.dumps({"customer_id": before + "\x00" + after}, ensure_ascii=ensure_ascii).encode()
        assert carries_nul(document)


clean = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@given(st.recursive(clean | st.integers(), lambda inner: st.lists(inner) | st.dictionaries(clean, inner), max_leaves=8))
def test_a_json_document_without_nul_is_never_refused(value: object) -> None:
    for ensure_ascii in (True, False):
        assert not carries_nul(json.dumps(value, ensure_ascii=ensure_ascii).encode())


def test_an_escaped_backslash_before_u0000_is_text_not_nul() -> None:
    assert not carries_nul(json.dumps({"note": "\\u0000"}).encode())
    assert carries_nul(json.dumps({"note": "\\\x00"}).encode())
