"""`pointstream`: the operator's command line (topics, database migrations)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.common import admin
from services.common.settings import settings


def topics_create(args: argparse.Namespace) -> None:
    created = admin.create_topics(args.partitions)
    count = args.partitions or settings().partitions
    print(f"topics: {len(created)} created, all with {count} partitions" if created else "topics: all present")


def migrate(args: argparse.Namespace) -> None:
    from services.gateway.migrations import migrate as apply

    applied = asyncio.run(apply(settings().database_url))
    print(f"migrations: {len(applied)} applied" if applied else "migrations: up to date")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pointstream", description="Operate a pointstream deployment.")
    commands = parser.add_subparsers(dest="command", required=True)
    topics = commands.add_parser("topics", help="Kafka topics").add_subparsers(dest="action", required=True)
    create = topics.add_parser("create", help="create every topic of the registry (idempotent)")
    create.add_argument("--partitions", type=int, default=None, help="partition count (default: PARTITIONS)")
    create.set_defaults(func=topics_create)
    commands.add_parser("migrate", help="apply the read-model migrations to DATABASE_URL").set_defaults(func=migrate)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except Exception as exc:  # an operator gets one clear line, not a traceback
        print(f"pointstream {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
