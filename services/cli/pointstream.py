"""`pointstream`: the operator's command line.

Each command is a `register_*` function adding its parser and handler; the handlers are thin and
import their logic when they run, so one command's dependencies never slow or break another:
topics, migrate, rebuild (`services.projector.rebuild`), replay-dlq (`services.common.replay`),
inspect (`services.gateway.inspection`), loadgen (`services.loadgen.live`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeAlias

from services.common import admin
from services.common.settings import settings

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def topics_create(args: argparse.Namespace) -> None:
    created = admin.create_topics(args.partitions)
    count = args.partitions or settings().partitions
    print(f"topics: {len(created)} created, all with {count} partitions" if created else "topics: all present")


def migrate(args: argparse.Namespace) -> None:
    from services.schema.migrations import migrate as apply

    applied = asyncio.run(apply(settings().database_url))
    print(f"migrations: {len(applied)} applied" if applied else "migrations: up to date")


def rebuild(args: argparse.Namespace) -> None:
    from services.projector import rebuild as rebuilding
    from services.readmodels import postgres

    done = rebuilding.rebuild(settings().database_url, postgres.configured_schema(), force=args.force)
    if done.unclassified:
        print(f"rebuild: kept tables it does not know: {', '.join(done.unclassified)}", file=sys.stderr)
    print(f"rebuild: {done.records} records projected into {len(done.truncated)} emptied tables in "
          f"{done.seconds:.1f} s, {done.per_second:,.0f} events/s")  # fmt: skip


def replay_dlq(args: argparse.Namespace) -> None:
    from services.common import replay

    done = replay.replay(replay.Filter(args.topic, args.reason), dry_run=args.dry_run, limit=args.limit)
    verb = "would re-send" if args.dry_run else "re-sent"
    print(f"replay-dlq: {verb} {done.sent} dead letter(s), passed over {done.passed_over} (group {done.group})")


def inspect(args: argparse.Namespace) -> None:
    from services.gateway import inspection

    found = inspection.inspect(args.shop, args.customer, datetime.now(UTC))
    if args.json:
        print(json.dumps(inspection.as_json(found), default=str, indent=2))
    else:
        print("\n".join(inspection.as_text(found)))


def loadgen(args: argparse.Namespace) -> None:
    from services.loadgen import live

    published = live.run(args.rate, args.duration, args.seed, args.bad_rate, progress=True)
    print(f"loadgen: {published} events published")


def register_topics(commands: Commands) -> None:
    topics = commands.add_parser("topics", help="Kafka topics").add_subparsers(dest="action", required=True)
    create = topics.add_parser("create", help="create every topic of the registry (idempotent)")
    create.add_argument("--partitions", type=int, default=None, help="partition count (default: PARTITIONS)")
    create.set_defaults(func=topics_create)


def register_migrate(commands: Commands) -> None:
    commands.add_parser("migrate", help="apply the read-model migrations to DATABASE_URL").set_defaults(func=migrate)


def register_rebuild(commands: Commands) -> None:
    parser = commands.add_parser("rebuild", help="empty the gateway's read models and project the logs again")
    parser.add_argument("--force", action="store_true", help="run even while the projector's group has members")
    parser.set_defaults(func=rebuild)


def register_replay_dlq(commands: Commands) -> None:
    parser = commands.add_parser("replay-dlq", help="re-send dead letters to their source topic, once each")
    parser.add_argument("--topic", help="only letters from this source topic")
    parser.add_argument("--reason", help="only letters whose reason contains this text")
    parser.add_argument("--dry-run", action="store_true", help="list what would be sent; send nothing")
    parser.add_argument("--limit", type=int, default=None, help="send at most this many")
    parser.set_defaults(func=replay_dlq)


def register_inspect(commands: Commands) -> None:
    parser = commands.add_parser("inspect", help="a customer's ledger and lots, folded from the Kafka log")
    parser.add_argument("shop")
    parser.add_argument("customer")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=inspect)


def register_loadgen(commands: Commands) -> None:
    parser = commands.add_parser("loadgen", help="publish realistic demo traffic")
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--seed", type=int, default=None, help="the same seed sends the same traffic")
    parser.add_argument("--bad-rate", type=float, default=0.002, help="share of malformed events")
    parser.set_defaults(func=loadgen)


def register_keys(commands: Commands) -> None:
    from services.gateway import keys_cli

    keys_cli.register(commands)


def register_personal_data(commands: Commands) -> None:
    from services.gateway import personal_data_cli

    personal_data_cli.register(commands)


REGISTER: list[Callable[[Commands], None]] = [
    register_topics, register_migrate, register_rebuild, register_replay_dlq, register_inspect, register_loadgen,
    register_keys, register_personal_data,
]  # fmt: skip
"""One entry per command, in the order `--help` lists them."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pointstream", description="Operate a pointstream deployment.")
    commands = parser.add_subparsers(dest="command", required=True)
    for register in REGISTER:
        register(commands)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except Exception as exc:  # an operator gets one clear line, not a traceback
        print(f"pointstream {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
