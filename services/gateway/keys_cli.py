"""`pointstream keys`: an operator creates, lists and revokes a shop's API keys (e.g. to bootstrap a shop).

The key is printed once, at creation; only its SHA-256 is stored. A revocation applies within
API_KEY_CACHE_SECONDS in running gateways.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from services.gateway.apikeys import SCOPES, ApiKey

if TYPE_CHECKING:
    from services.readmodels.postgres import Conn

T = TypeVar("T")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `keys create|list|revoke` to the `pointstream` command line's subcommands."""
    keys = commands.add_parser("keys", help="a shop's API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create a key and print it (shown once)")
    create.add_argument("--shop", required=True, help="the shop the key acts for")
    create.add_argument("--scope", dest="scopes", action="append", required=True, choices=SCOPES,
                        help="a scope of the key; repeat for several")  # fmt: skip
    create.add_argument("--label", default="", help="what the key is for")
    create.set_defaults(func=created)
    listing = keys.add_parser("list", help="a shop's keys, without the keys themselves")
    listing.add_argument("--shop", required=True)
    listing.set_defaults(func=listed)
    revoke = keys.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=revoked)


def with_database(work: Callable[[Conn], Awaitable[T]]) -> T:
    """Runs `work` on a connection to DATABASE_URL (the database is imported here, as the CLI's commands do)."""
    from services.common.settings import settings
    from services.readmodels import postgres

    async def run() -> T:
        conn = await postgres.connect(settings().database_url, postgres.configured_schema())
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def line(key: ApiKey) -> str:
    state = f"revoked {key.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if key.revoked_at else "active"
    created = f"{key.created_at:%Y-%m-%dT%H:%M:%SZ}" if key.created_at else "-"
    return f"{key.key_id}  {key.prefix}…  {','.join(sorted(key.scopes))}  {created}  {state}  {key.label}"


def created(args: argparse.Namespace) -> None:
    from services.gateway.tables import keys as keys_db

    key, secret = with_database(lambda conn: keys_db.issue(conn, args.shop, sorted(set(args.scopes)), args.label))
    print(line(key))
    print(f"key: {secret}")
    print("Store it now: it is shown this once and cannot be recovered.")


def listed(args: argparse.Namespace) -> None:
    from services.gateway.tables import keys as keys_db

    keys = with_database(lambda conn: keys_db.of_shop(conn, args.shop))
    print("\n".join(line(key) for key in keys) if keys else f"no keys for shop {args.shop!r}")


def revoked(args: argparse.Namespace) -> None:
    from services.gateway.tables import keys as keys_db

    key = with_database(lambda conn: keys_db.revoke(conn, args.key_id))
    if key is None:
        raise LookupError(f"no key {args.key_id!r}")
    print(line(key))
