"""PostgreSQL connections in a configurable schema, for every service that keeps something there
(the gateway's read models, the redeem service's reward stock)."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from services.common.settings import database_schema

Conn = asyncpg.Connection | PoolConnectionProxy
"""A connection of its own or one borrowed from a pool: every statement here takes either."""
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def configured_schema() -> str | None:
    """DATABASE_SCHEMA: the PostgreSQL schema to use (tests isolate themselves in one)."""
    return database_schema()


def quoted(schema: str) -> str:
    if not IDENTIFIER.fullmatch(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
    return f'"{schema}"'


def _server_settings(schema: str | None) -> dict[str, str]:
    return {"search_path": quoted(schema)} if schema else {}


def required(database_url: str) -> str:
    """The URL, or a stop naming the variable: an empty one would reach some default local server."""
    if not database_url:
        raise SystemExit("DATABASE_URL is not set: postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
    return database_url


async def connect(database_url: str, schema: str | None = None) -> asyncpg.Connection:
    return await asyncpg.connect(required(database_url), server_settings=_server_settings(schema))


class SessionFree(asyncpg.Connection):
    """A pooled connection returned without the reset statement: a round trip saved on every release.

    asyncpg resets a connection it takes back (`RESET ALL`, `UNLISTEN *`, advisory locks, cursors) in
    a statement of its own. Nothing here leaves session state behind (no SET, LISTEN, session advisory
    lock or cursor outside a transaction: tests/unit/common/test_database.py holds the services to it),
    and asyncpg still rolls back a transaction left open."""

    def get_reset_query(self) -> str:
        return ""


async def create_pool(database_url: str, schema: str | None = None, **kwargs: Any) -> asyncpg.Pool:
    url = required(database_url)
    pool = await asyncpg.create_pool(
        url, server_settings=_server_settings(schema), connection_class=SessionFree, **kwargs
    )
    if pool is None:  # only None when created without awaiting
        raise RuntimeError("asyncpg created no pool")
    return pool
