"""Fixtures of the outage tests: the read-model schema in a private PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from services.schema.migrations import migrate
from tests.servers import PrivatePostgres


@pytest.fixture
def private_schema(private_postgres: PrivatePostgres) -> Iterator[str]:
    """The migrated schema `outage` in the module's private PostgreSQL, dropped afterwards."""
    schema = "outage"
    asyncio.run(migrate(private_postgres.url, schema))
    yield schema

    async def drop() -> None:
        conn = await asyncpg.connect(private_postgres.url)
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()

    asyncio.run(drop())
