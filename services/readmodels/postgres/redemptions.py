"""The `redemptions` read model in PostgreSQL: each redemption's request and outcome.

The projector writes the fold of the requests and outcomes it reads. `POST /v1/redemptions` also
writes the request it has just published (the row the projector will write), so its id is known at
once; `lock` serializes the writers of one redemption id, so two requests reusing it cannot both
pass the check that it is free.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from services.readmodels.folds.redemptions import Key, Redemption
from services.readmodels.postgres import Conn, columns

LOCK_CLASS = 7_346_224
"""Advisory-lock class of redemption requests (the key within it is the shop and the redemption id)."""
INSERT_ROWS = """
INSERT INTO redemptions (
  shop_id, redemption_id, customer_id, reward_id, quantity, cash_minor, status, reason, code, prize,
  shipping_id, points, points_restored, requested_at, updated_at, position
) SELECT * FROM unnest(
  $1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[], $8::text[],
  $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::timestamptz[], $15::timestamptz[],
  $16::text[]
)
"""
"""The rows of `_columns`; what a conflict does is the statement's own."""
UPSERT = (
    INSERT_ROWS
    + """ON CONFLICT (shop_id, redemption_id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
  reward_id = EXCLUDED.reward_id, quantity = COALESCE(EXCLUDED.quantity, redemptions.quantity),
  cash_minor = COALESCE(EXCLUDED.cash_minor, redemptions.cash_minor), status = EXCLUDED.status,
  reason = EXCLUDED.reason, code = EXCLUDED.code, prize = EXCLUDED.prize, shipping_id = EXCLUDED.shipping_id,
  points = EXCLUDED.points, points_restored = EXCLUDED.points_restored,
  requested_at = COALESCE(EXCLUDED.requested_at, redemptions.requested_at), updated_at = EXCLUDED.updated_at,
  position = EXCLUDED.position"""
)
REQUESTED = (
    INSERT_ROWS
    + """ON CONFLICT (shop_id, redemption_id) DO UPDATE SET
  quantity = COALESCE(redemptions.quantity, EXCLUDED.quantity),
  cash_minor = COALESCE(redemptions.cash_minor, EXCLUDED.cash_minor),
  requested_at = COALESCE(redemptions.requested_at, EXCLUDED.requested_at)"""
)


async def lock(conn: Conn, shop_id: str, redemption_id: str) -> None:
    """Held until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK_CLASS, f"{shop_id}\x1f{redemption_id}")


async def current(conn: Conn, keys: Iterable[Key]) -> dict[Key, Redemption]:
    rows = await conn.fetch(
        """SELECT
              shop_id, redemption_id, customer_id, reward_id, quantity, cash_minor, status, reason, code,
              prize, shipping_id, points, points_restored, requested_at, updated_at, position
            FROM redemptions
            JOIN unnest($1::text[], $2::text[]) AS k(shop_id, redemption_id) USING (shop_id, redemption_id)""",
        *columns(sorted(set(keys)), 2),
    )
    return {(r["shop_id"], r["redemption_id"]): Redemption(**dict(r)) for r in rows}


async def one(conn: Conn | asyncpg.Pool, shop_id: str, redemption_id: str) -> Redemption | None:
    row = await conn.fetchrow(
        """SELECT
             shop_id, redemption_id, customer_id, reward_id, quantity, cash_minor, status, reason, code,
             prize, shipping_id, points, points_restored, requested_at, updated_at, position
           FROM redemptions WHERE shop_id = $1 AND redemption_id = $2""",
        shop_id,
        redemption_id,
    )
    return None if row is None else Redemption(**dict(row))


async def write(conn: Conn, redemptions: Iterable[Redemption]) -> None:
    """The projector's rows: the fold is the truth, but a request field it did not know is kept."""
    await conn.execute(UPSERT, *_columns(redemptions))


async def record_request(conn: Conn, request: Redemption) -> None:
    """A request just published: fills what is not known yet and never changes the status."""
    await conn.execute(REQUESTED, *_columns([request]))


def _columns(redemptions: Iterable[Redemption]) -> list[list[object]]:
    rows = [
        (r.shop_id, r.redemption_id, r.customer_id, r.reward_id, r.quantity, r.cash_minor, r.status, r.reason, r.code,
         r.prize, r.shipping_id, r.points, r.points_restored, r.requested_at, r.updated_at, r.position)
        for r in redemptions
    ]  # fmt: skip
    return columns(rows, 16)
