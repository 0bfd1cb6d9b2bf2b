"""Outages: a broker or a database that is away is waited for, never blamed on a record.

An adapter raises `Unavailable` when what it talks to cannot answer (a refused, lost or timed-out
connection, a server shutting down or out of resources). The stream runtime and the projector answer
it the same way: undo the uncommitted work, wait (`Backoff`: doubling, capped, logged, counted in
`pointstream_outage_retries_total`) and try again from the last commit. Only a failure that belongs
to one record (it is malformed, too large, out of range, or trips a bug) dead-letters that record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from prometheus_client import Counter

log = logging.getLogger(__name__)
RETRIES = Counter(
    "pointstream_outage_retries_total",
    "Retries after the broker or the database could not be reached (nothing is dead-lettered for them)",
    ["service", "dependency"],
)
OUTAGE_SQLSTATE_CLASSES = ("08", "53", "57", "58", "40")
"""Connection exceptions, insufficient resources, operator intervention (a shutdown, a restart),
system errors, and transaction rollbacks (serialization failures, deadlocks): none is a record's fault."""
NOT_AN_OUTAGE = ("57014",)
"""A cancelled statement (statement_timeout) is about what the statement did."""
ROW_SQLSTATE_CLASSES = ("22", "23", "54")
"""Data exceptions, integrity constraint violations, program limits (an index row too large): one row's fault."""


class Unavailable(Exception):
    """The broker or the database cannot be reached now; the work is retried, never dead-lettered."""

    def __init__(self, dependency: str, reason: object) -> None:
        super().__init__(f"{dependency} unavailable: {reason}")
        self.dependency = dependency


def sqlstate(exc: BaseException) -> str:
    return str(getattr(exc, "sqlstate", "") or "")


def database_outage(exc: BaseException) -> bool:
    """Whether a PostgreSQL client error means the database is away (asyncpg raises these, and OSErrors)."""
    import asyncpg

    lost = (Unavailable, OSError, asyncpg.InterfaceError, asyncpg.InternalClientError, asyncpg.PostgresConnectionError)
    if isinstance(exc, lost):
        return True  # OSError covers refused and reset connections and TimeoutError; the client's own state
        # errors ("another operation is in progress") follow a connection lost in the middle of a statement
    state = sqlstate(exc)
    return state.startswith(OUTAGE_SQLSTATE_CLASSES) and state not in NOT_AN_OUTAGE


def row_refused(exc: BaseException) -> bool:
    """Whether PostgreSQL refused a row for what it holds (the row's fault, not the database's)."""
    return sqlstate(exc).startswith(ROW_SQLSTATE_CLASSES)


class Backoff:
    """Waits before each retry: `first_s`, doubling up to `cap_s`; `reset` after a success."""

    def __init__(
        self, service: str, first_s: float = 0.1, cap_s: float = 5.0, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.service, self.first_s, self.cap_s, self._sleep = service, first_s, cap_s, sleep
        self.delay_s = first_s
        self.failures = 0

    def wait(self, dependency: str, reason: object) -> None:
        self.failures += 1
        RETRIES.labels(self.service, dependency).inc()
        log.warning("%s unavailable (%s); retry %d in %.1f s", dependency, reason, self.failures, self.delay_s)
        self._sleep(self.delay_s)
        self.delay_s = min(self.cap_s, self.delay_s * 2)

    def reset(self) -> None:
        if self.failures:
            log.info("%s: dependencies back after %d retries", self.service, self.failures)
        self.delay_s, self.failures = self.first_s, 0
