"""API keys in PostgreSQL (`api_keys`): created, found by the digest of a key, listed, revoked."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from services.common.database import Conn
from services.gateway import apikeys
from services.gateway.apikeys import ApiKey


def key_of(row: asyncpg.Record) -> ApiKey:
    return ApiKey(row["key_id"], row["shop_id"], frozenset(row["scopes"]), row["label"], row["created_at"],
                  row["revoked_at"])  # fmt: skip


async def create(conn: Conn | asyncpg.Pool, key: ApiKey, key_sha256: str) -> ApiKey:
    row = await conn.fetchrow(
        """INSERT INTO api_keys (key_id, shop_id, key_sha256, scopes, label) VALUES ($1, $2, $3, $4, $5)
            RETURNING key_id, shop_id, scopes, label, created_at, revoked_at""",
        key.key_id, key.shop_id, key_sha256, sorted(key.scopes), key.label,
    )  # fmt: skip
    if row is None:
        raise RuntimeError("INSERT ... RETURNING returned no row")
    return key_of(row)


async def by_digest(conn: Conn | asyncpg.Pool, key_sha256: str) -> ApiKey | None:
    """The key with that digest, revoked or not."""
    row = await conn.fetchrow(
        "SELECT key_id, shop_id, scopes, label, created_at, revoked_at FROM api_keys WHERE key_sha256 = $1", key_sha256
    )
    return None if row is None else key_of(row)


async def of_shop(conn: Conn | asyncpg.Pool, shop_id: str) -> list[ApiKey]:
    rows = await conn.fetch(
        """SELECT key_id, shop_id, scopes, label, created_at, revoked_at FROM api_keys WHERE shop_id = $1
           ORDER BY created_at, key_id""",
        shop_id,
    )
    return [key_of(row) for row in rows]


async def revoke(conn: Conn | asyncpg.Pool, key_id: str, shop_id: str | None = None) -> ApiKey | None:
    """Revokes the key (of `shop_id`, if given), once: revoking again keeps the first time. None if unknown."""
    row = await conn.fetchrow(
        """UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
            WHERE key_id = $1 AND ($2::text IS NULL OR shop_id = $2)
            RETURNING key_id, shop_id, scopes, label, created_at, revoked_at""",
        key_id, shop_id,
    )  # fmt: skip
    return None if row is None else key_of(row)


async def issue(conn: Conn | asyncpg.Pool, shop_id: str, scopes: Iterable[str], label: str) -> tuple[ApiKey, str]:
    """A new key of the shop, stored as its digest: the key itself is in the answer, and nowhere else."""
    key_id, key = apikeys.generate()
    return await create(conn, ApiKey(key_id, shop_id, frozenset(scopes), label), apikeys.digest(key)), key
