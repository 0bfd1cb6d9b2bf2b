"""Properties of the one parser: what it renders it reads back, defaults spelled out change nothing,
and whatever it refuses, it names the setting at fault."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.program import DEFAULT, ProgramError, parse_program, render_program
from tests.unit.program.documents import documents, json_values

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(documents, st.integers(0, 1_000))
def test_a_rendered_program_parses_to_the_same_program(document: dict[str, Any], version: int) -> None:
    program = parse_program(document, version)
    rendered = render_program(program)
    assert parse_program(json.loads(json.dumps(rendered)), version) == program
    assert render_program(parse_program(rendered)) == rendered


@FAST
@given(documents)
def test_spelling_the_defaults_out_changes_nothing(document: dict[str, Any]) -> None:
    assert parse_program(render_program(DEFAULT) | document) == parse_program(document)


@FAST
@given(documents)
def test_every_setting_left_out_is_the_defaults(document: dict[str, Any]) -> None:
    rendered, defaults = render_program(parse_program(document)), render_program(DEFAULT)
    assert {k: v for k, v in rendered.items() if k not in document} == {
        k: v for k, v in defaults.items() if k not in document
    }


@st.composite
def spoiled(draw: st.DrawFn) -> Any:
    """A valid document with one value replaced by anything, or a setting added, or not an object at all."""
    document = draw(documents)
    how = draw(st.sampled_from(["replace", "nested", "add", "whole"]))
    if how == "whole":
        return draw(json_values)
    if how == "add" or not document:
        return document | {draw(st.text(min_size=1, max_size=10)): draw(json_values)}
    key = draw(st.sampled_from(sorted(document)))
    value = document[key]
    if how == "nested" and isinstance(value, dict) and value:
        inner = draw(st.sampled_from(sorted(value)))
        return document | {key: value | {inner: draw(json_values)}}
    if how == "nested" and isinstance(value, list) and value:
        i = draw(st.integers(0, len(value) - 1))
        return document | {key: [*value[:i], draw(json_values), *value[i + 1 :]]}
    return document | {key: draw(json_values)}


def refusal(document: Any) -> ProgramError | None:
    try:
        parse_program(document)
    except ProgramError as refused:
        return refused
    return None


@FAST
@given(spoiled())
def test_a_refused_document_names_the_setting_at_fault(document: Any) -> None:
    refused = refusal(document)  # anything else raised fails the test
    if refused is None:
        return
    named = refused.path == "$" and not isinstance(document, dict)
    assert named or any(refused.path == k or refused.path.startswith((f"{k}.", f"{k}[")) for k in document)
    assert refused.message
    assert str(refused) == f"{refused.path}: {refused.message}"
