"""One batch of ledger records applied to the read models in one PostgreSQL transaction.

The projector's exactly-once step, apart from Kafka: lock the partitions' stored positions, drop
what is below them, fold the rest with `readmodel.project`, write rows, lots, balances and the new
positions. Either all of it commits or none of it does.
"""

from __future__ import annotations

from services.gateway import postgres, readmodel
from services.gateway.readmodel import LedgerRecord


async def project_batch(
    conn: postgres.Conn, topic: str, records: list[LedgerRecord], next_offsets: dict[int, int]
) -> tuple[readmodel.Projection, int, dict[int, int]]:
    """One transaction: the batch's new rows, balances and positions, or none of them.

    Records below a partition's stored position were projected already (by this instance before
    a crash, or by another during a rebalance) and are skipped. Returns the projection, how many
    records were skipped so, and the positions now stored.
    """
    async with conn.transaction():
        stored = await postgres.lock_positions(conn, topic, list(next_offsets))
        fresh = [r for r in records if r.offset >= stored[r.partition]]
        known = await postgres.known_entries(conn, [r.entry_id for r in fresh])
        current = await postgres.balances(conn, list({r.customer for r in fresh}))
        projection = readmodel.project(current, known, fresh)
        advanced = {p: max(offset, stored[p]) for p, offset in next_offsets.items()}
        await postgres.write(conn, topic, projection, advanced)
    return projection, len(records) - len(fresh), advanced
