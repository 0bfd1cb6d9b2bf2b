"""`pointstream rebuild`: the gateway's read models emptied and folded again from the Kafka logs.

The read models are folds of the logs (docs/architecture.md), so dropping them and projecting every topic the
projector reads from its beginning gives the same rows. The projection is the projector's own
(`Projector.project`, hence `transaction.project_batch`), fed by a consumer that assigns every
partition from its first offset and stops at the end offsets captured at the start; the stored
positions end there, so the live projector, started again, resumes from them.

Only projections are emptied. Tables written by others are kept, because no log holds them: reward
stock and reservations (the redeem service's `reserve_reward`; the reservations hold the answers
of decisions already published), API keys, the HTTP side's idempotency records and Shopify orders,
customers' shipping addresses (kept out of the log on purpose) and the record of erasures, the
migrations' bookkeeping. A table a migration adds that is listed in neither is kept too and named
in a warning, and `tests/unit/ops/test_cli_rebuild.py` fails until it is classified.

A live projector would interleave its writes with the rebuild's, so the command refuses to run
while the projector's consumer group has members.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tqdm import tqdm

from services.common import kafka, logscan
from services.common.settings import settings
from services.projector.projector import GROUP, Projector
from services.readmodels import postgres

PROJECTIONS = (
    "ledger_entries", "balances", "lots", "tiers", "programs", "redemptions", "account_commands", "rewards",
    "projection_positions",
)  # fmt: skip
"""Every table the projector writes, its positions included."""
KEPT = (
    "schema_migrations", "reward_stock", "reward_reservations", "api_keys", "idempotency_keys", "shopify_orders",
    "shipping_addresses", "personal_data_erasures",
)  # fmt: skip
"""Written by others than the projector, no log can give them back: the migrations' bookkeeping, the redeem
service's stock reservations, the shops' API keys, the gateway's idempotency records, the Shopify orders
its webhooks saw, and personal data (addresses the gateway kept out of the log, and erasures)."""


class ProjectorRunning(RuntimeError):
    pass


@dataclass(frozen=True)
class Rebuilt:
    records: int
    seconds: float
    truncated: tuple[str, ...]
    unclassified: tuple[str, ...] = field(default=())

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def projector_group() -> str:
    return kafka.group_id(GROUP)


def live_members(group: str) -> int:
    """Members of the consumer group now (0 for a group that does not exist)."""
    admin = kafka.admin()
    try:
        description = admin.describe_consumer_groups([group])[group].result(timeout=15)
    except Exception as exc:
        if "GROUP_ID_NOT_FOUND" in str(exc):
            return 0
        raise
    return len(description.members)


def refuse_if_running(group: str) -> None:
    if members := live_members(group):
        raise ProjectorRunning(
            f"the projector is running ({members} member(s) in consumer group {group!r}). Stop every projector "
            "instance, run `pointstream rebuild` again, then start the projector: it resumes from the rebuilt "
            "positions. A projector stopped a moment ago stays a member until its session times out (10 s). "
            "--force skips this check (only if you know no projector writes to this database)."
        )


def rebuild(database_url: str, schema: str | None, *, force: bool = False, progress: bool = True) -> Rebuilt:
    if not force:
        refuse_if_running(projector_group())
    projector = Projector(database_url, schema)
    # The projector's own consumer would join the live group: reading is done by a scan instead.
    projector.consumer.close()
    projector.consumer = logscan.scan_consumer(settings().topic_namespace + "gateway-rebuild")
    try:
        found = logscan.spans(projector.consumer, logscan.topic_partitions(projector.consumer, projector.topics))
        truncated, unclassified = projector.loop.run_until_complete(truncate(projector.conn))
        started, records = time.perf_counter(), _project(projector, found, progress)
        return Rebuilt(records, time.perf_counter() - started, truncated, unclassified)
    finally:
        projector.close()


def _project(projector: Projector, found: list[logscan.Span], progress: bool) -> int:
    records = 0
    total = sum(s.end - s.start for s in found)
    with tqdm(total=total, unit="rec", desc="rebuild", disable=not progress, dynamic_ncols=True) as bar:
        for batch in logscan.batches(projector.consumer, found, projector.batch_size):
            if batch:
                projector.loop.run_until_complete(projector.project(batch))
            records += len(batch)
            bar.update(sum(s.covered for s in found) - bar.n)
    return records


async def truncate(conn: postgres.Conn) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Empties the projections in one transaction; answers them and the tables neither listed nor kept."""
    tables = set(await tables_of(conn))
    truncated = tuple(t for t in PROJECTIONS if t in tables)
    await conn.execute(f"TRUNCATE {', '.join(truncated)}")
    return truncated, tuple(sorted(tables - set(PROJECTIONS) - set(KEPT)))


async def tables_of(conn: postgres.Conn) -> list[str]:
    """The tables of the connection's schema (the first of its search_path)."""
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [r["table_name"] for r in rows]
