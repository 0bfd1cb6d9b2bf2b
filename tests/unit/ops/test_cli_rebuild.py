"""The rebuild's table list, checked against the migrations: every table is a projection or kept on purpose."""

from __future__ import annotations

import re

from services.projector import rebuild
from services.schema import migrations

CREATED = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", re.IGNORECASE)


def tables_created() -> set[str]:
    sql = "\n".join(path.read_text() for path in migrations.available()) + migrations.BOOKKEEPING
    return set(CREATED.findall(sql))


def test_every_table_of_the_schema_is_either_rebuilt_or_kept_on_purpose() -> None:
    unclassified = tables_created() - set(rebuild.PROJECTIONS) - set(rebuild.KEPT)
    assert not unclassified, (
        f"classify {sorted(unclassified)} in services/projector/rebuild.py: PROJECTIONS if the projector writes it "
        "from the logs (a rebuild empties it), KEPT if anything else writes it (a rebuild must not touch it)"
    )


def test_no_table_is_both_rebuilt_and_kept() -> None:
    assert not set(rebuild.PROJECTIONS) & set(rebuild.KEPT)


def test_every_projection_the_rebuild_empties_exists_in_the_schema() -> None:
    assert set(rebuild.PROJECTIONS) <= tables_created()
