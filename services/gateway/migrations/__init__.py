"""Versioned SQL migrations of the read models: `NNNN_name.sql`, applied once each, in order."""

from __future__ import annotations

from pathlib import Path

import asyncpg

DIRECTORY = Path(__file__).parent
LOCK = 7_346_221  # advisory lock id: two migrators never interleave


async def migrate(database_url: str, schema: str | None = None) -> list[str]:
    """Applies the pending migrations; returns their names. Safe to run concurrently and again."""
    conn = await asyncpg.connect(database_url)
    try:
        if schema:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"; SET search_path TO "{schema}"')
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        applied = []
        for path in sorted(DIRECTORY.glob("[0-9]*.sql")):
            if path.stem in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.stem)
            applied.append(path.stem)
        return applied
    finally:
        await conn.close()
