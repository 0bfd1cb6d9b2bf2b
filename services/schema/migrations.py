"""Versioned SQL migrations of the shared schema: `NNNN_name.sql` beside this module, applied once each, in order.

`migrate` is what `pointstream migrate` runs. Each file runs in its own transaction together with
its row in `schema_migrations`; an advisory lock keeps concurrent migrators from interleaving.
A file changed after it was applied is refused: write a new migration instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from services.common import database as postgres

DIRECTORY = Path(__file__).parent
LOCK = 7_346_221
BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text"""


class MigrationError(RuntimeError):
    pass


def available() -> list[Path]:
    return sorted(DIRECTORY.glob("[0-9][0-9][0-9][0-9]_*.sql"))


async def pending(conn: postgres.Conn) -> list[str]:
    """The migrations not yet applied in the connection's schema; services refuse to start on an old schema."""
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return [path.stem for path in available()]
    done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
    return [path.stem for path in available() if path.stem not in done]


async def migrate(database_url: str, schema: str | None = None) -> list[str]:
    """Applies the pending migrations to `schema` (default DATABASE_SCHEMA, else the search_path)."""
    schema = schema or postgres.configured_schema()
    conn = await postgres.connect(database_url, schema)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK)
        if schema:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {postgres.quoted(schema)}")
        await conn.execute(BOOKKEEPING)
        done = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT name, checksum FROM schema_migrations")}
        applied = []
        for path in available():
            sql = path.read_text()
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if path.stem in done:
                if done[path.stem] is None:  # applied before checksums were recorded
                    await conn.execute(
                        "UPDATE schema_migrations SET checksum = $2 WHERE name = $1", path.stem, checksum
                    )
                elif done[path.stem] != checksum:
                    raise MigrationError(f"{path.name} changed after it was applied; add a new migration instead")
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", path.stem, checksum
                )
            applied.append(path.stem)
        return applied
    finally:
        await conn.close()
