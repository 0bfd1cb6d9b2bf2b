"""The `programs` read model in PostgreSQL: every version of every shop's program.

The projector fills it from `loyalty.programs`; `PUT /v1/program` also writes the version it has
just published (the same row the projector will write), so the next version number never waits
for the projector. `lock_shop` serializes the writers of one shop's versions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import asyncpg

from services.readmodels.folds.programs import ProgramVersion
from services.readmodels.postgres import Conn, columns

LOCK_CLASS = 7_346_222
"""Advisory-lock class of program writers (the key within it is the shop)."""


async def lock_shop(conn: Conn, shop_id: str) -> None:
    """Held until the transaction ends: one writer of a shop's versions at a time."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK_CLASS, shop_id)


async def latest_version(conn: Conn, shop_id: str) -> int | None:
    version = await conn.fetchval("SELECT max(version) FROM programs WHERE shop_id = $1", shop_id)
    return None if version is None else int(version)


async def latest(conn: Conn, shop_id: str) -> ProgramVersion | None:
    """The highest version, whether or not it is in effect yet."""
    return _version(await conn.fetchrow(f"{SELECT} WHERE shop_id = $1 ORDER BY version DESC LIMIT 1", shop_id))


async def in_effect(conn: Conn, shop_id: str, at: datetime) -> ProgramVersion | None:
    """The version events at `at` use: the latest `effective_from` at or before it, then the highest version."""
    row = await conn.fetchrow(
        f"{SELECT} WHERE shop_id = $1 AND effective_from <= $2 ORDER BY effective_from DESC, version DESC LIMIT 1",
        shop_id,
        at,
    )
    return _version(row)


SELECT = "SELECT shop_id, version, effective_from, configured_at, actor, rules::text AS rules FROM programs"
UPSERT = """
INSERT INTO programs (shop_id, version, effective_from, configured_at, actor, rules)
SELECT s, v, e, c, a, r::jsonb FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::timestamptz[], $5::text[],
  $6::text[]) AS t(s, v, e, c, a, r)
ON CONFLICT (shop_id, version) DO UPDATE SET effective_from = EXCLUDED.effective_from,
  configured_at = EXCLUDED.configured_at, actor = EXCLUDED.actor, rules = EXCLUDED.rules"""


async def write(conn: Conn, versions: Iterable[ProgramVersion]) -> None:
    """Upserts by (shop, version): the log is the truth, so its record replaces the row. One row per key."""
    rows = [(v.shop_id, v.version, v.effective_from, v.configured_at, v.actor, json.dumps(v.rules)) for v in versions]
    await conn.execute(UPSERT, *columns(rows, 6))


def _version(r: asyncpg.Record | None) -> ProgramVersion | None:
    if r is None:
        return None
    rules = json.loads(r["rules"])
    return ProgramVersion(r["shop_id"], r["version"], r["effective_from"], r["configured_at"], r["actor"], rules)
