"""The projector stops for nobody: a row PostgreSQL refuses is dead-lettered and the projection goes on,
for every shop; a database that goes away and comes back is waited for, and nothing is dead-lettered."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

from prometheus_client import REGISTRY

from services.common import topics
from services.projector.projector import Projector
from tests.bench import harness
from tests.integration.gateway.conftest import earned, fetch, produce_ledger, project_everything, run
from tests.servers import PrivatePostgres


def balances(database_url: str, schema: str) -> dict[tuple[str, str], int]:
    rows = run(fetch(database_url, schema, "SELECT shop_id, customer_id, balance FROM balances"))
    return {(r["shop_id"], r["customer_id"]): r["balance"] for r in rows}


def test_a_ledger_record_whose_row_postgresql_refuses_is_dead_lettered_and_the_records_after_it_are_projected(
    namespace: str, database_url: str, db_schema: str
) -> None:
    too_long = secrets.token_urlsafe(2_400)  # 3,200 characters that do not compress: over a btree row's maximum
    produce_ledger([earned(1, "ada", 10), earned(2, too_long, 5), earned(3, "bo", 7, shop="south"),
                    earned(4, "cy", 2**62), earned(5, "cy", 2**62), earned(6, "ada", 5)])  # fmt: skip
    project_everything(database_url, db_schema)

    assert balances(database_url, db_schema) == {("north", "ada"): 15, ("south", "bo"): 7, ("north", "cy"): 2**62}
    letters = {r["error_type"]: r for _, r, _ in harness.read_all(topics.DLQ.name)}
    assert sorted(letters) == ["DataError", "ProgramLimitExceededError"]  # bigint out of range; index row too large
    assert {r["service"] for r in letters.values()} == {"projector"}
    assert f"north:{too_long}".encode().startswith(letters["ProgramLimitExceededError"]["original_key"])
    assert letters["DataError"]["original_key"] == b"north:cy"
    assert "out of int64 range" in letters["DataError"]["reason"]


def test_a_projector_whose_database_goes_away_and_comes_back_resumes_without_dead_lettering_anything(
    namespace: str, private_postgres: PrivatePostgres, private_schema: str
) -> None:
    retries = projector_retries()
    produce_ledger([earned(i, f"c{i % 7}", 1) for i in range(100)])
    projector = Projector(private_postgres.url, private_schema)
    thread = threading.Thread(target=projector.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: balances(private_postgres.url, private_schema).get(("north", "c0")) == 15)
        private_postgres.stop()
        produce_ledger([earned(i, f"c{i % 7}", 1) for i in range(100, 300)])
        time.sleep(4)  # the projector tries, fails and waits, several times
        private_postgres.start()
        wait_for(lambda: sum(balances(private_postgres.url, private_schema).values()) == 300)
    finally:
        projector.stop()
        thread.join(30)
    assert projector_retries() > retries
    assert harness.read_all(topics.DLQ.name) == []
    rows = run(fetch(private_postgres.url, private_schema, "SELECT count(*) AS n FROM ledger_entries"))
    assert rows[0]["n"] == 300


def projector_retries() -> float:
    labels = {"service": "projector", "dependency": "PostgreSQL"}
    return REGISTRY.get_sample_value("pointstream_outage_retries_total", labels) or 0


def wait_for(condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.3)
