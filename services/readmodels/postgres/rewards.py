"""The `rewards` read model in PostgreSQL: the latest version of every reward, with its stock.

The projector fills it from `loyalty.rewards`; `PUT /v1/rewards/{id}` also writes the version it has
just published (the row the projector will write), so the next version number never waits for the
projector. `lock_shop` serializes the writers of one shop's catalog. What is reserved of each
reward is in `reward_stock`, which the redeem service writes (no row: nothing reserved yet).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg

from services.readmodels.folds.rewards import RewardVersion
from services.readmodels.postgres import Conn, columns

LOCK_CLASS = 7_346_223
"""Advisory-lock class of catalog writers (the key within it is the shop)."""
UPSERT = """
INSERT INTO rewards (shop_id, reward_id, version, configured_at, actor, reward)
SELECT s, r, v, c, a, d::jsonb FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::text[],
  $6::text[]) AS t(s, r, v, c, a, d)
ON CONFLICT (shop_id, reward_id) DO UPDATE SET version = EXCLUDED.version, configured_at = EXCLUDED.configured_at,
  actor = EXCLUDED.actor, reward = EXCLUDED.reward
WHERE rewards.version <= EXCLUDED.version"""
SELECT = """
SELECT r.shop_id, r.reward_id, r.version, r.configured_at, r.actor, r.reward::text AS reward,
  COALESCE(s.reserved, 0) AS reserved
FROM rewards r LEFT JOIN reward_stock s USING (shop_id, reward_id)"""


@dataclass(frozen=True)
class Stocked:
    version: RewardVersion
    reserved: int
    """Units the redeem service has reserved (approved and not released)."""


async def lock_shop(conn: Conn, shop_id: str) -> None:
    """Held until the transaction ends: one writer of a shop's catalog at a time."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK_CLASS, shop_id)


async def latest_version(conn: Conn, shop_id: str, reward_id: str) -> int | None:
    version = await conn.fetchval(
        "SELECT version FROM rewards WHERE shop_id = $1 AND reward_id = $2", shop_id, reward_id
    )
    return None if version is None else int(version)


async def write(conn: Conn, versions: Iterable[RewardVersion]) -> None:
    """Upserts by (shop, reward); an older version never replaces a newer one."""
    rows = [(v.shop_id, v.reward_id, v.version, v.configured_at, v.actor, json.dumps(v.document)) for v in versions]
    await conn.execute(UPSERT, *columns(rows, 6))


async def catalog(conn: Conn | asyncpg.Pool, shop_id: str) -> list[Stocked]:
    rows = await conn.fetch(f"{SELECT} WHERE r.shop_id = $1 ORDER BY r.reward_id", shop_id)
    return [_stocked(r) for r in rows]


async def one(conn: Conn | asyncpg.Pool, shop_id: str, reward_id: str) -> Stocked | None:
    row = await conn.fetchrow(f"{SELECT} WHERE r.shop_id = $1 AND r.reward_id = $2", shop_id, reward_id)
    return None if row is None else _stocked(row)


def _stocked(r: asyncpg.Record) -> Stocked:
    version = RewardVersion(
        r["shop_id"], r["reward_id"], r["version"], r["configured_at"], r["actor"], json.loads(r["reward"])
    )
    return Stocked(version, r["reserved"])
