"""Reward stock in PostgreSQL: a reservation per redemption id, never oversold (decision 0002).

`reserve` is idempotent: the first answer for a redemption id is stored with it, so a retried
decision (a Kafka transaction aborted or a process killed after PostgreSQL committed) gets the same
answer. The conditional update of the reward's row serializes concurrent reservations on its lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.database import Conn


@dataclass(frozen=True)
class Reservation:
    granted: bool
    code_index: int | None = None
    """The grant's number among its reward's grants (0, 1, ...), for codes handed out from a pool."""


async def reserve(
    conn: Conn, shop_id: str, reward_id: str, redemption_id: str, quantity: int, stock: int | None
) -> Reservation:
    """Reserves `quantity` of a reward with `stock` units in all (None: unlimited)."""
    async with conn.transaction():
        earlier = await conn.fetchrow(
            "SELECT granted, code_index FROM reward_reservations WHERE shop_id = $1 AND redemption_id = $2",
            shop_id,
            redemption_id,
        )
        if earlier is not None:
            return Reservation(earlier["granted"], earlier["code_index"])
        await conn.execute(
            "INSERT INTO reward_stock (shop_id, reward_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", shop_id, reward_id
        )
        issued = await conn.fetchval(
            """UPDATE reward_stock SET reserved = reserved + $3, issued = issued + 1
               WHERE shop_id = $1 AND reward_id = $2 AND ($4::bigint IS NULL OR reserved + $3 <= $4)
               RETURNING issued""",
            shop_id,
            reward_id,
            quantity,
            stock,
        )
        reservation = Reservation(issued is not None, None if issued is None else int(issued) - 1)
        inserted = await conn.fetchval(
            """INSERT INTO reward_reservations (shop_id, redemption_id, reward_id, quantity, granted, code_index)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING granted""",
            shop_id,
            redemption_id,
            reward_id,
            quantity,
            reservation.granted,
            reservation.code_index,
        )
        if inserted is None:  # a concurrent twin decided first: undo ours, take its answer
            raise _Raced
        return reservation


async def reserve_once(
    conn: Conn, shop_id: str, reward_id: str, redemption_id: str, quantity: int, stock: int | None
) -> Reservation:
    """`reserve`, retried when two deciders of the same redemption id raced (rolled back, then re-read)."""
    try:
        return await reserve(conn, shop_id, reward_id, redemption_id, quantity, stock)
    except _Raced:
        return await reserve(conn, shop_id, reward_id, redemption_id, quantity, stock)


async def release(conn: Conn, shop_id: str, redemption_id: str) -> bool:
    """Gives a granted reservation's units back, once; True if this call released it."""
    async with conn.transaction():
        row = await conn.fetchrow(
            """UPDATE reward_reservations SET released = true
               WHERE shop_id = $1 AND redemption_id = $2 AND granted AND NOT released
               RETURNING reward_id, quantity""",
            shop_id,
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


async def reserved(conn: Conn, shop_id: str, reward_id: str) -> int:
    return int(
        await conn.fetchval(
            "SELECT coalesce(sum(reserved), 0) FROM reward_stock WHERE shop_id = $1 AND reward_id = $2",
            shop_id,
            reward_id,
        )
    )


class _Raced(Exception):
    """Raised inside the transaction so PostgreSQL rolls the stock update back."""
