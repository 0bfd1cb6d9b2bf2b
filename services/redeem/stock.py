"""Reward stock in PostgreSQL: a reservation per redemption id, never oversold (decision 0002).

`reserve` is idempotent: the first answer for a redemption id is stored with it, so a retried
decision (a Kafka transaction aborted or a process killed after PostgreSQL committed) gets the same
answer. The conditional update of the reward's row serializes concurrent reservations on its lock;
two deciders of the same redemption id racing each other both get the first one's answer.
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
    """Reserves `quantity` of a reward with `stock` units in all (None: unlimited), in one round trip
    (the function `reserve_reward`, migration 0008)."""
    row = await conn.fetchrow(
        "SELECT granted, code_index FROM reserve_reward($1, $2, $3, $4, $5)",
        shop_id,
        reward_id,
        redemption_id,
        quantity,
        stock,
    )
    assert row is not None  # the function always answers
    return Reservation(row["granted"], row["code_index"])


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
