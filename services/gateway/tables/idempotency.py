"""Idempotency keys in PostgreSQL: claim a key, store its answer or release it, and expire old ones lazily.

Expired rows are deleted by the claims themselves, a few at a time, so no job has to run. A claim
whose request ended with no answer kept and an unknown outcome (a 5xx, a crash) stays bound to its
request: only the same request takes it over, at once once `unsettle`d, after the lease otherwise.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    status: int | None
    """None while the request that claimed the key is still in flight."""
    content_type: str | None
    body: bytes
    withheld: bool = False
    """The answer held a secret, which was left out of `body`."""


@dataclass(frozen=True)
class Claim:
    credential: str
    key: str
    fingerprint: str
    token: uuid.UUID


PURGE = """
DELETE FROM idempotency_keys
WHERE (credential = $1 AND idempotency_key = $2 AND expires_at < now())
   OR (credential, idempotency_key) IN (
       SELECT credential, idempotency_key FROM idempotency_keys WHERE expires_at < now()
       LIMIT 100 FOR UPDATE SKIP LOCKED)"""

TAKE_OVER = """
UPDATE idempotency_keys SET claim = $4, claimed_at = now()
WHERE credential = $1 AND idempotency_key = $2 AND fingerprint = $3 AND status IS NULL
  AND claimed_at < now() - make_interval(secs => $5::float8)
RETURNING true"""

UNSETTLE = """
UPDATE idempotency_keys SET claimed_at = '-infinity'
WHERE credential = $1 AND idempotency_key = $2 AND claim = $3"""

CLAIM = """
INSERT INTO idempotency_keys (credential, idempotency_key, fingerprint, claim, expires_at)
VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::float8))
ON CONFLICT DO NOTHING RETURNING true"""

FIND = """
SELECT fingerprint, status, content_type, body, withheld FROM idempotency_keys
WHERE credential = $1 AND idempotency_key = $2 AND expires_at >= now()"""

ANSWER = """
UPDATE idempotency_keys SET status = $4, content_type = $5, body = $6, withheld = $7
WHERE credential = $1 AND idempotency_key = $2 AND claim = $3"""

RELEASE = "DELETE FROM idempotency_keys WHERE credential = $1 AND idempotency_key = $2 AND claim = $3"


async def claim(pool: asyncpg.Pool, claim: Claim, ttl_s: float, lease_s: float) -> Stored | None:
    """None if the key is now this request's; otherwise what is stored under it (maybe still in flight)."""
    async with pool.acquire() as conn:
        for _ in range(3):  # the owner may release the key between our insert and our read
            await conn.execute(PURGE, claim.credential, claim.key)
            if await conn.fetchval(CLAIM, claim.credential, claim.key, claim.fingerprint, claim.token, ttl_s):
                return None
            if await conn.fetchval(TAKE_OVER, claim.credential, claim.key, claim.fingerprint, claim.token, lease_s):
                return None
            row = await conn.fetchrow(FIND, claim.credential, claim.key)
            if row is not None:
                body = bytes(row["body"] or b"")
                return Stored(row["fingerprint"], row["status"], row["content_type"], body, row["withheld"])
    return Stored(claim.fingerprint, None, None, b"")


async def answer(
    pool: asyncpg.Pool, claim: Claim, status: int, content_type: str | None, body: bytes, withheld: bool = False
) -> None:
    await pool.execute(ANSWER, claim.credential, claim.key, claim.token, status, content_type, body, withheld)


async def release(pool: asyncpg.Pool, claim: Claim) -> None:
    """Nothing was done: the key is free for any request."""
    await pool.execute(RELEASE, claim.credential, claim.key, claim.token)


async def unsettle(pool: asyncpg.Pool, claim: Claim) -> None:
    """What was done is unknown: the same request may run again at once (with the same ids), no other one."""
    await pool.execute(UNSETTLE, claim.credential, claim.key, claim.token)
