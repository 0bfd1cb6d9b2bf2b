"""The defaults README shows are the parser's defaults, and GET /v1/program shows them to an unconfigured shop."""

from __future__ import annotations

import json
import re

from services.program import DEFAULT, parse_program, render_program
from tests.unit.ops.deployfiles import ROOT

README = (ROOT / "README.md").read_text()


def readme_defaults() -> dict[str, object]:
    """The JSON example README introduces as the defaults (README: The loyalty program)."""
    section = README[README.index("## The loyalty program") :]
    introduced = section.index("defaults below")
    [example] = re.findall(r"```json\n(.*?)```", section[introduced:], flags=re.S)[:1]
    parsed: dict[str, object] = json.loads(example)
    return parsed


def test_readmes_defaults_are_the_defaults_the_parser_fills_in() -> None:
    assert parse_program(readme_defaults()) == DEFAULT == parse_program({})


def test_readmes_defaults_spell_out_every_setting_as_the_program_renders_it() -> None:
    assert readme_defaults() == render_program(DEFAULT)
