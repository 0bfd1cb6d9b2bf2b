"""`pointstream personal-data show|erase SHOP CUSTOMER`: a subject access or erasure request, from the shell.

The same as `GET` and `DELETE /v1/customers/{id}/personal-data`, for an operator acting on a
shop's behalf; the erasure is recorded with the actor given (default: the operating system user).
"""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import UTC, datetime

from services.gateway.keys_cli import with_database


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `personal-data show|erase` to the `pointstream` command line's subcommands."""
    actions = commands.add_parser("personal-data", help="a customer's personal data: show or erase")
    chosen = actions.add_subparsers(dest="action", required=True)
    show = chosen.add_parser("show", help="everything personal held of a customer, as JSON")
    erase = chosen.add_parser("erase", help="erase a customer's personal data now")
    erase.add_argument("--actor", default=f"operator:{getpass.getuser()}", help="who asked, for the record")
    for parser, handler in ((show, shown), (erase, erased)):
        parser.add_argument("shop")
        parser.add_argument("customer")
        parser.set_defaults(func=handler)


def shown(args: argparse.Namespace) -> None:
    from services.readmodels.postgres import personal_data

    found = with_database(lambda conn: personal_data.addresses(conn, args.shop, args.customer))
    done = with_database(lambda conn: personal_data.erasures(conn, args.shop, args.customer))
    held = {"shipping_addresses": [vars(a) for a in found], "erasures": [vars(e) for e in done]}
    print(json.dumps({"shop_id": args.shop, "customer_id": args.customer} | held, default=str, indent=2))


def erased(args: argparse.Namespace) -> None:
    from services.readmodels.postgres import personal_data

    now = datetime.now(UTC)
    erasure = with_database(lambda conn: personal_data.erase(conn, args.shop, args.customer, args.actor, now))
    print(f"personal-data: erased {erasure.addresses} shipping address(es) of {args.shop}:{args.customer} "
          f"at {erasure.erased_at:%Y-%m-%dT%H:%M:%SZ}, recorded for {erasure.actor}")  # fmt: skip
