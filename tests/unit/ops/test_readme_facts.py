"""Facts README states that the code defines: a topic added to the registry is named in README too."""

from __future__ import annotations

import pytest

from services.common import topics
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
    ):
        assert linked in README or linked.split("/")[-1] in README
        assert (ROOT / linked).exists(), linked


def test_readmes_topic_table_is_the_registrys() -> None:
    """README's table of writers and readers is printed by `python -m services.common.topics`."""
    begin, end = "<!-- topics:begin -->\n", "\n<!-- topics:end -->"
    assert README[README.index(begin) + len(begin) : README.index(end)] == topics.table()
