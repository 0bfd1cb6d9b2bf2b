"""The projector on real Kafka and PostgreSQL: clawback claims and their collections, tiers, program versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.common import kafka, topics
from services.common.codec import Codec
from services.readmodels import messages
from services.readmodels.folds.programs import ProgramVersion
from services.schema.migrations import migrate
from tests.integration.gateway.conftest import (
    AT,
    clawed_back,
    earned,
    fetch,
    produce_ledger,
    produce_tiers,
    project_everything,
    run,
    tier_changed,
)
from tests.integration.gateway.records import adjusted, collected, expired, redeemed, repaid, restored, transferred

LEDGER_ROWS = (
    "SELECT entry_id, kind, points, balance_after, uncollected, claimed, qualifying, rule_version FROM ledger_entries"
)


def test_a_clawback_claim_changes_nothing_and_its_collection_takes_the_shares_the_redeem_service_named(
    namespace: str, database_url: str, db_schema: str
) -> None:
    soon = AT + timedelta(days=30)
    produce_ledger([earned(1, "ada", 100), earned(2, "ada", 50, expires_at=soon), earned(3, "ada", 80)])
    project_everything(database_url, db_schema)
    produce_ledger([
        clawed_back(4, "ada", 120, lot=1, rule_version=3), collected(5, "ada", 4, [(1, 100), (2, 20)]),
        clawed_back(6, "ada", 200, lot=3), collected(7, "ada", 6, [(3, 80), (2, 30)], uncollected=90),
    ])  # fmt: skip
    project_everything(database_url, db_schema)

    rows = run(fetch(database_url, db_schema, f"{LEDGER_ROWS} ORDER BY ledger_offset"))
    assert [tuple(r.values()) for r in rows] == [
        ("entry-1", "earned", 100, 100, 0, 0, True, 0), ("entry-2", "earned", 50, 150, 0, 0, True, 0),
        ("entry-3", "earned", 80, 230, 0, 0, True, 0), ("clawback-4", "clawback_claimed", 0, 230, 0, 120, True, 3),
        ("redeem-5", "clawed_back", -120, 110, 0, 0, False, 0),
        ("clawback-6", "clawback_claimed", 0, 110, 0, 200, True, 0),
        ("redeem-7", "clawed_back", -110, 0, 90, 0, False, 0),
    ]  # fmt: skip
    lots = run(fetch(database_url, db_schema, "SELECT lot_id, points, remaining FROM lots ORDER BY lot_id"))
    assert [tuple(lot.values()) for lot in lots] == [("entry-1", 100, 0), ("entry-2", 50, 0), ("entry-3", 80, 0)]
    [balance] = run(fetch(database_url, db_schema, "SELECT balance, lifetime_earned, clawed_back, owed FROM balances"))
    assert tuple(balance.values()) == (0, 230, 230, 0)


def test_a_collection_that_goes_below_zero_is_owed_until_the_next_credit(
    namespace: str, database_url: str, db_schema: str
) -> None:
    produce_ledger([
        earned(1, "bo", 30), clawed_back(2, "bo", 50, lot=1, may_go_negative=True),
        collected(3, "bo", 2, [(1, 30)], owed=20), earned(4, "bo", 5), repaid(5, "bo", [(4, 5)]),
    ])  # fmt: skip
    project_everything(database_url, db_schema)

    rows = run(fetch(database_url, db_schema, f"{LEDGER_ROWS} ORDER BY ledger_offset"))
    assert [(r["points"], r["balance_after"], r["uncollected"]) for r in rows] == [
        (30, 30, 0), (0, 30, 0), (-50, -20, 0), (5, -15, 0), (0, -15, 0),
    ]  # fmt: skip
    [balance] = run(fetch(database_url, db_schema, "SELECT balance, owed FROM balances"))
    assert (balance["balance"], balance["owed"]) == (-15, 15)
    remaining = run(fetch(database_url, db_schema, "SELECT lot_id, remaining FROM lots ORDER BY lot_id"))
    assert [(lot["lot_id"], lot["remaining"]) for lot in remaining] == [("entry-1", 0), ("entry-4", 0)]


def test_dropping_the_read_models_and_replaying_the_ledger_gives_identical_rows(
    namespace: str, database_url: str, db_schema: str
) -> None:
    produce_ledger(
        [earned(1, "ada", 100), earned(2, "bo", 40), earned(3, "ada", 60, available_at=AT + timedelta(days=7))]
    )
    project_everything(database_url, db_schema)
    produce_ledger([
        clawed_back(4, "ada", 130, lot=3), collected(6, "ada", 4, [(3, 60), (1, 70)]), earned(2, "bo", 40),
        clawed_back(5, "bo", 90, lot=2), collected(7, "bo", 5, [(2, 40)], uncollected=50),
        redeemed(8, "ada", "red-1", [(1, 20)]), restored(9, "ada", "red-1", [(1, 5)]), expired(10, "ada", 1, 15),
        adjusted(11, "bo", 25), transferred(12, "bo", -25, [(11, 25)]),
    ])  # fmt: skip
    project_everything(database_url, db_schema)
    rebuilt = f"{db_schema}_rebuilt"
    run(migrate(database_url, rebuilt))
    try:
        project_everything(database_url, rebuilt)
        for sql in (f"{LEDGER_ROWS} ORDER BY entry_id", "SELECT * FROM lots ORDER BY lot_id",
                    "SELECT * FROM balances ORDER BY customer_id"):  # fmt: skip
            assert run(fetch(database_url, rebuilt, sql)) == run(fetch(database_url, db_schema, sql))
    finally:
        run(fetch(database_url, rebuilt, f'DROP SCHEMA "{rebuilt}" CASCADE'))


def test_tier_changes_become_each_customers_tier_and_a_repeat_keeps_when_it_was_reached(
    namespace: str, database_url: str, db_schema: str
) -> None:
    later = AT + timedelta(days=2)
    produce_tiers([tier_changed("ada", "silver", 1_200), tier_changed("bo", "gold", 5_100)])
    project_everything(database_url, db_schema)
    produce_tiers([tier_changed("ada", "silver", 1_300, occurred_at=later),
                   tier_changed("bo", "silver", 4_000, occurred_at=later)])  # fmt: skip
    project_everything(database_url, db_schema)

    tiers = run(fetch(database_url, db_schema, "SELECT customer_id, tier, since, qualifying_points FROM tiers"))
    assert sorted(tuple(t.values()) for t in tiers) == [("ada", "silver", AT, 1_200), ("bo", "silver", later, 4_000)]


def test_program_versions_on_the_topic_fill_the_programs_table(
    namespace: str, database_url: str, db_schema: str
) -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    versions = [ProgramVersion("north", v, at, at, "admin-key:x", {"daily_cap": 100 * v}) for v in (1, 2)]
    codec, producer = Codec(), kafka.producer()
    for version in [*versions, ProgramVersion("north", 2, at, at, "admin-key:y", {"daily_cap": 7})]:
        record = messages.program_configured(version)
        key = topics.program_key(version.shop_id, version.version)
        producer.produce(topics.PROGRAMS.name, codec.encode("ProgramConfigured", record), key)
    assert producer.flush(30) == 0
    project_everything(database_url, db_schema)

    rows = run(fetch(database_url, db_schema, "SELECT version, actor, rules::text, effective_from FROM programs"))
    assert sorted(tuple(r.values()) for r in rows) == [
        (1, "admin-key:x", '{"daily_cap": 100}', at), (2, "admin-key:y", '{"daily_cap": 7}', at),
    ]  # fmt: skip
