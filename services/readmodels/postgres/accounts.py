"""Account outcomes in PostgreSQL: `balances.frozen` and `account_commands` (refused commands)."""

from __future__ import annotations

from collections.abc import Iterable

from services.readmodels.folds.accounts import CommandRejected, StatusChanged
from services.readmodels.postgres import Conn, columns

FREEZE = """
INSERT INTO balances (shop_id, customer_id, frozen, ledger_partition)
SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::int[])
ON CONFLICT (shop_id, customer_id) DO UPDATE SET frozen = EXCLUDED.frozen"""
REJECTED = """
INSERT INTO account_commands (shop_id, kind, command_id, customer_id, status, reason, occurred_at)
SELECT s, k, c, cu, 'rejected', r, o FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
  $6::timestamptz[]) AS t(s, k, c, cu, r, o)
ON CONFLICT (shop_id, kind, command_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status,
  reason = EXCLUDED.reason, occurred_at = EXCLUDED.occurred_at"""


async def write_status(conn: Conn, changes: Iterable[StatusChanged]) -> None:
    """A customer seen first by a freeze gets a balance row of zeros (outcomes share the ledger's partitioning)."""
    rows = [(c.shop_id, c.customer_id, c.frozen, c.partition) for c in changes]
    await conn.execute(FREEZE, *columns(rows, 4))


async def write_rejections(conn: Conn, rejected: Iterable[CommandRejected]) -> None:
    rows = [(r.shop_id, r.kind, r.command_id, r.customer_id, r.reason, r.occurred_at) for r in rejected]
    await conn.execute(REJECTED, *columns(rows, 6))
