"""PostgreSQL: connections in a configurable schema, the projector's positions, and its batch writes.

Every write of a batch is a multi-row statement over arrays (`unnest`), so a batch of a thousand
records costs a handful of round trips. The caller holds the transaction. The statements of each
read model are in `postgres.ledger`, `postgres.redemptions`, `postgres.accounts`, `postgres.rewards`,
`postgres.tiers` and `postgres.programs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.common.database import Conn, configured_schema, connect, create_pool, quoted

__all__ = ["Conn", "configured_schema", "connect", "create_pool", "quoted"]


async def positions(conn: Conn, topic: str) -> dict[int, int]:
    rows = await conn.fetch("SELECT partition, next_offset FROM projection_positions WHERE topic = $1", topic)
    return {r["partition"]: r["next_offset"] for r in rows}


Positions = dict[tuple[str, int], int]
"""(topic, partition) -> next offset to project."""


async def lock_positions(conn: Conn, partitions: Mapping[str, list[int]]) -> Positions:
    """The stored positions of `partitions` (topic -> partitions), locked until the transaction ends.

    Two projectors that both hold a partition for a moment during a rebalance serialize here,
    and the later one sees what the earlier one already wrote. Rows lock in one order, so two
    batches over several topics cannot deadlock.
    """
    wanted = sorted((topic, p) for topic, numbers in partitions.items() for p in numbers)
    await conn.execute(
        """INSERT INTO projection_positions (topic, partition, next_offset)
           SELECT t, p, 0 FROM unnest($1::text[], $2::int[]) AS k(t, p) ON CONFLICT DO NOTHING""",
        *columns(wanted, 2),
    )
    rows = await conn.fetch(
        """SELECT p.topic, p.partition, p.next_offset FROM projection_positions p
           JOIN unnest($1::text[], $2::int[]) AS k(topic, partition) ON p.topic = k.topic AND p.partition = k.partition
           ORDER BY p.topic, p.partition FOR UPDATE OF p""",
        *columns(wanted, 2),
    )
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


ADVANCE_POSITIONS = """
UPDATE projection_positions p SET next_offset = n.next_offset
FROM unnest($1::text[], $2::int[], $3::bigint[]) AS n(topic, partition, next_offset)
WHERE p.topic = n.topic AND p.partition = n.partition"""


async def advance(conn: Conn, next_offsets: Positions) -> None:
    """Stores new positions (rows locked by `lock_positions`)."""
    await conn.execute(ADVANCE_POSITIONS, *columns([(t, p, o) for (t, p), o in sorted(next_offsets.items())], 3))


CATCH_UP = """
INSERT INTO projection_positions (topic, partition, next_offset)
SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])
ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
WHERE projection_positions.next_offset < EXCLUDED.next_offset"""


async def catch_up(conn: Conn, consumed_to: Positions) -> None:
    """Moves stored positions forward to where the consumer stands, never back.

    An idle projector has projected every record before its consumer's position, but the last
    record of a transaction is followed by a commit marker, which only the consumer's position
    steps over. Storing it lets a reader waiting for the log's end see that the end was reached.
    """
    await conn.execute(CATCH_UP, *columns([(t, p, o) for (t, p), o in sorted(consumed_to.items())], 3))


def columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Row tuples -> one list per column, the shape `unnest` takes."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
