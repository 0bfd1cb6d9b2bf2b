"""Pooled connections go back to the pool without a reset statement (services.common.database.SessionFree):
that is right only while no statement of the services leaves session state on a connection."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from services.common.database import SessionFree

SERVICES = Path(__file__).resolve().parents[3] / "services"
SESSION_STATE = re.compile(
    r"\b(LISTEN|UNLISTEN|pg_advisory_lock|pg_try_advisory_lock|DECLARE\s+\w+\s+(NO\s+)?(SCROLL\s+)?CURSOR"
    r"|CREATE\s+TEMP|PREPARE\s+\w+\s+AS)\b|(^|[\"';]\s*)SET\s+(SESSION\s+)?\w+\s*(=|TO)\b",
    re.IGNORECASE | re.MULTILINE,
)


UNPOOLED = {"schema/migrations.py", "common/database.py"}
"""The migrations lock on a connection of their own, closed after; database.py names the statements."""


def statements() -> dict[str, str]:
    """The services' Python modules, where their SQL is."""
    return {str(p.relative_to(SERVICES)): p.read_text() for p in SERVICES.rglob("*.py")}


def test_no_statement_of_the_services_leaves_session_state_on_a_pooled_connection() -> None:
    found = {path: m.group(0) for path, text in statements().items()
             if path not in UNPOOLED and (m := SESSION_STATE.search(text))}  # fmt: skip
    assert found == {}, "session state outlives a request now: give SessionFree its reset statement back"


def test_the_pattern_would_see_session_state() -> None:
    for sql in ("SET search_path TO x", "LISTEN changes", "SELECT pg_advisory_lock(1)", "DECLARE c CURSOR FOR"):
        assert SESSION_STATE.search(f'await conn.execute("{sql}")'), sql
    assert not SESSION_STATE.search("SELECT pg_advisory_xact_lock(1)")
    assert not SESSION_STATE.search("UPDATE t SET a = 1")


def test_a_pooled_connection_has_no_reset_statement() -> None:
    assert SessionFree.get_reset_query(cast(SessionFree, None)) == ""
