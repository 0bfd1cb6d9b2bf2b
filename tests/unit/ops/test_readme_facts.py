"""Facts README states that the code defines: a topic, a ledger kind or a balance field added is named in README too."""

from __future__ import annotations

import pytest

from services.common import topics
from services.gateway.responses import BalanceOut, LedgerEntryOut
from services.readmodels.folds.records import KINDS
from tests.unit.ops.deployfiles import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("topic", [t.base for t in topics.ALL])
def test_readme_names_every_topic_of_the_registry(topic: str) -> None:
    assert f"`{topic}`" in README


def test_every_document_the_readme_links_to_is_in_the_repository() -> None:
    for linked in (
        "docs/architecture.md",
        "docs/operations.md",
        "docs/decisions/0001-stream-runtime.md",
        "docs/decisions/0003-shared-writers.md",
        "docs/decisions/0005-local-state.md",
    ):
        assert linked in README or linked.split("/")[-1] in README
        assert (ROOT / linked).exists(), linked


def test_readmes_topic_table_is_the_registrys() -> None:
    """README's table of writers and readers is printed by `python -m services.common.topics`."""
    begin, end = "<!-- topics:begin -->\n", "\n<!-- topics:end -->"
    assert README[README.index(begin) + len(begin) : README.index(end)] == topics.table()


@pytest.mark.parametrize("kind", KINDS)
def test_readme_and_the_api_document_name_every_ledger_kind(kind: str) -> None:
    assert f"`{kind}`" in README
    assert f"`{kind}`" in (LedgerEntryOut.model_fields["kind"].description or "")


def test_readme_shows_every_field_of_a_balance() -> None:
    example = README[README.index("/v1/customers/ada/balance") :][:800]
    for field in BalanceOut.model_fields:
        assert f'"{field}":' in example, field
