"""Reward stock in PostgreSQL: a reservation per customer's redemption, never oversold (decision 0002).

`reserve` is idempotent: the first answer for a customer's redemption id is stored with it, so a
retried decision (a Kafka transaction aborted or a process killed after PostgreSQL committed) gets
the same answer; another customer's request for the same id is told it is taken (the function
`reserve_reward`, migrations 0008 and 0012). The conditional update of the reward's row serializes
concurrent reservations on its lock. A grant that was given back and is asked for again takes its
units again, if any are left, so giving back early is never an oversell. Reconciliation
(`settle_confirmed`, `unsettled`, `settle`) looks at grants no approval has confirmed after
`older_than_s` seconds, longer than any Kafka transaction that relied on one can stay open.
`reserve_all` and `release_all` do the same for a whole batch in one round trip each (migration 0015,
decision 0004).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.common.database import Conn
from services.redeem.batch_reservations import Answer, Ask, Grant
from services.redeem.reservations import Reservation

__all__ = [
    "Held", "Reservation", "release", "release_all", "reserve", "reserve_all", "reserved", "settle",
    "settle_confirmed", "unsettled",
]  # fmt: skip


@dataclass(frozen=True)
class Held:
    """A granted reservation no approval has confirmed yet."""

    shop_id: str
    customer_id: str
    redemption_id: str
    partition: int | None
    """None for a reservation made before reservations knew their partition (any partition may own it)."""


async def reserve(
    conn: Conn,
    shop_id: str,
    customer_id: str,
    partition: int,
    reward_id: str,
    redemption_id: str,
    quantity: int,
    stock: int | None,
) -> Reservation:
    """Reserves `quantity` of a reward with `stock` units in all (None: unlimited), in one round trip."""
    row = await conn.fetchrow(
        "SELECT granted, code_index, taken FROM reserve_reward($1, $2, $3, $4, $5, $6, $7)",
        shop_id, customer_id, partition, reward_id, redemption_id, quantity, stock,
    )  # fmt: skip
    if row is None:  # the function always answers
        raise RuntimeError("reserve_reward answered no row")
    return Reservation(row["granted"], row["code_index"], row["taken"])


async def reserve_all(conn: Conn, asks: Sequence[Ask]) -> list[Answer]:
    """Reserves for every ask, in their order, as `reserve` would one at a time; in one round trip."""
    if not asks:
        return []
    rows = await conn.fetch(
        """SELECT n, granted, code_index, taken, fresh FROM reserve_rewards($1::text[], $2::text[], $3::int[],
             $4::text[], $5::text[], $6::int[], $7::bigint[]) ORDER BY n""",
        [a.shop_id for a in asks], [a.customer_id for a in asks], [a.partition for a in asks],
        [a.reward_id for a in asks], [a.redemption_id for a in asks], [a.quantity for a in asks],
        [a.units for a in asks],
    )  # fmt: skip
    if len(rows) != len(asks):  # the function answers every ask
        raise RuntimeError(f"reserve_rewards answered {len(rows)} of {len(asks)} asks")
    return [Answer(Reservation(r["granted"], r["code_index"], r["taken"]), r["fresh"]) for r in rows]


async def release_all(conn: Conn, grants: Sequence[Grant]) -> int:
    """Gives these grants' units back, each once; how many this call gave back. One round trip."""
    if not grants:
        return 0
    released = await conn.fetchval(
        "SELECT release_rewards($1::text[], $2::text[], $3::text[])",
        [g[0] for g in grants], [g[1] for g in grants], [g[2] for g in grants],
    )  # fmt: skip
    return int(released)


async def release(conn: Conn, shop_id: str, customer_id: str, redemption_id: str) -> bool:
    """Gives a customer's granted reservation's units back, once; True if this call released it."""
    async with conn.transaction():
        row = await conn.fetchrow(
            """UPDATE reward_reservations SET released = true
               WHERE shop_id = $1 AND redemption_id = $3 AND (customer_id = $2 OR customer_id IS NULL)
                 AND granted AND NOT released
               RETURNING reward_id, quantity""",
            shop_id,
            customer_id,
            redemption_id,
        )
        if row is None:
            return False
        await conn.execute(
            "UPDATE reward_stock SET reserved = reserved - $3 WHERE shop_id = $1 AND reward_id = $2",
            shop_id,
            row["reward_id"],
            row["quantity"],
        )
        return True


async def settle_confirmed(conn: Conn, partition: int, older_than_s: float) -> int:
    """Marks settled the partition's old grants whose approval the read model shows; how many."""
    done = await conn.execute(
        """UPDATE reward_reservations r SET settled = true FROM redemptions d
           WHERE (r.customer_partition = $1 OR r.customer_partition IS NULL)
             AND r.granted AND NOT r.released AND NOT r.settled
             AND r.touched_at < now() - make_interval(secs => $2)
             AND d.shop_id = r.shop_id AND d.redemption_id = r.redemption_id AND d.customer_id = r.customer_id
             AND d.status IN ('approved', 'reversed')""",
        partition,
        older_than_s,
    )
    return int(done.split()[-1])


async def unsettled(conn: Conn, partition: int, older_than_s: float, limit: int) -> list[Held]:
    """The partition's oldest grants, older than `older_than_s`, that no approval has confirmed."""
    rows = await conn.fetch(
        """SELECT shop_id, customer_id, redemption_id, customer_partition FROM reward_reservations
           WHERE (customer_partition = $1 OR customer_partition IS NULL) AND customer_id IS NOT NULL
             AND granted AND NOT released AND NOT settled AND touched_at < now() - make_interval(secs => $2)
           ORDER BY touched_at LIMIT $3""",
        partition,
        older_than_s,
        limit,
    )
    return [Held(r["shop_id"], r["customer_id"], r["redemption_id"], r["customer_partition"]) for r in rows]


async def settle(conn: Conn, held: Iterable[Held]) -> None:
    """Marks these grants settled: their approvals are in the log."""
    keys = [(h.shop_id, h.redemption_id) for h in held]
    await conn.execute(
        """UPDATE reward_reservations r SET settled = true
           FROM unnest($1::text[], $2::text[]) AS k(shop_id, redemption_id)
           WHERE r.shop_id = k.shop_id AND r.redemption_id = k.redemption_id""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )


async def reserved(conn: Conn, shop_id: str, reward_id: str) -> int:
    return int(
        await conn.fetchval(
            "SELECT coalesce(sum(reserved), 0) FROM reward_stock WHERE shop_id = $1 AND reward_id = $2",
            shop_id,
            reward_id,
        )
    )
