"""What is an outage (retried) and what is one record's fault (dead-lettered), and how retries wait."""

from __future__ import annotations

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from services.common.outage import Backoff, Unavailable, database_outage, row_refused
from services.redeem.reward_stock import Stock
from tests.servers import free_port

OUTAGES = [
    ConnectionRefusedError(111, "Connection refused"),
    ConnectionResetError(104, "Connection reset by peer"),
    TimeoutError(),
    OSError(113, "No route to host"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.InterfaceError("cannot perform operation: connection is closed"),
    asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    asyncpg.PostgresConnectionError("connection failure"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.DeadlockDetectedError("deadlock detected"),
    Unavailable("PostgreSQL", "away"),
]
ROW_FAULTS = [
    asyncpg.ProgramLimitExceededError("index row size 3016 exceeds btree version 4 maximum 2704"),
    asyncpg.NumericValueOutOfRangeError("bigint out of range"),
    asyncpg.DataError("invalid input for query argument $3: 9223372036854775808 (value out of int64 range)"),
    asyncpg.CharacterNotInRepertoireError("invalid byte sequence for encoding UTF8: 0x00"),
    asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
    asyncpg.CheckViolationError("new row violates check constraint"),
]


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_a_lost_refused_or_shut_down_database_is_an_outage_not_a_rows_fault(error: BaseException) -> None:
    assert database_outage(error)
    assert not row_refused(error)


@pytest.mark.parametrize("error", ROW_FAULTS, ids=lambda e: type(e).__name__)
def test_a_row_postgresql_refuses_is_that_rows_fault_not_an_outage(error: BaseException) -> None:
    assert row_refused(error)
    assert not database_outage(error)


def test_a_cancelled_statement_or_a_bug_is_neither() -> None:
    for error in (asyncpg.QueryCanceledError("canceling statement due to statement timeout"), KeyError("points"),
                  asyncpg.UndefinedColumnError('column "x" does not exist')):  # fmt: skip
        assert not database_outage(error)
        assert not row_refused(error)


def retries(service: str) -> float:
    return REGISTRY.get_sample_value("pointstream_outage_retries_total", {"service": service, "dependency": "db"}) or 0


@given(st.integers(1, 40))
def test_retries_wait_longer_each_time_up_to_the_cap_are_counted_and_start_over_after_a_success(
    failures: int,
) -> None:
    slept: list[float] = []
    backoff = Backoff("backoff-test", first_s=0.1, cap_s=5.0, sleep=slept.append)
    before = retries("backoff-test")
    for _ in range(failures):
        backoff.wait("db", "connection refused")
    assert slept == [min(5.0, 0.1 * 2**i) for i in range(failures)]
    assert retries("backoff-test") == before + failures
    backoff.reset()
    backoff.wait("db", "connection refused")
    assert slept[-1] == 0.1


def test_the_reward_stock_answers_unavailable_while_its_database_is_away_and_connects_again_next_time() -> None:
    stock = Stock(f"postgresql://pointstream:pointstream@127.0.0.1:{free_port()}/pointstream", None, timeout_s=5)
    for _ in range(2):  # each call tries a new connection, none is kept broken
        with pytest.raises(Unavailable, match="PostgreSQL unavailable"):
            stock.reserve("north", "ada", 0, "mug", "r-1", 1, 10)
    with pytest.raises(Unavailable):
        stock.release("north", "ada", "r-1")
    with pytest.raises(Unavailable):
        stock.settle_confirmed(0, 900)
