"""Each read model's share of a batch: load what its fold needs, fold (`readmodel`), write.

The caller holds the transaction and has dropped the records already projected; each function
answers how many rows it changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.readmodels import folds, postgres
from services.readmodels.folds import LedgerRecord, accounts
from services.readmodels.folds import redemptions as redemption_model
from services.readmodels.folds import tiers as tier_model
from services.readmodels.folds.accounts import CommandRejected, StatusChanged
from services.readmodels.folds.programs import ProgramRecord, last_of_each
from services.readmodels.folds.redemptions import Decided, Requested
from services.readmodels.folds.rewards import RewardRecord, latest_of_each
from services.readmodels.folds.tiers import TierChange
from services.readmodels.messages import Outcome
from services.readmodels.postgres import accounts as accounts_db
from services.readmodels.postgres import ledger as ledger_db
from services.readmodels.postgres import personal_data
from services.readmodels.postgres import programs as programs_db
from services.readmodels.postgres import redemptions as redemptions_db
from services.readmodels.postgres import rewards as rewards_db
from services.readmodels.postgres import tiers as tiers_db


async def ledger(conn: postgres.Conn, topic: str, records: Sequence[LedgerRecord]) -> folds.Projection:
    if not records:
        return folds.Projection()
    known = await ledger_db.known_entries(conn, [r.entry_id for r in records])
    current = await ledger_db.balances(conn, {r.customer for r in records})
    lots = await ledger_db.lots(conn, folds.named_lots(records))
    projection = folds.project(current, known, records, lots)
    await ledger_db.write(conn, topic, projection)
    return projection


async def tiers(conn: postgres.Conn, changes: Sequence[TierChange]) -> int:
    if not changes:
        return 0
    current = await tiers_db.states(conn, {c.customer for c in changes})
    changed = tier_model.project(current, changes)
    await tiers_db.write(conn, changed)
    return len(changed)


async def programs(conn: postgres.Conn, records: Sequence[ProgramRecord]) -> int:
    if versions := last_of_each(records):
        await programs_db.write(conn, versions)
    return len(versions)


async def rewards(conn: postgres.Conn, records: Sequence[RewardRecord]) -> int:
    if versions := latest_of_each(records):
        await rewards_db.write(conn, versions)
    return len(versions)


async def redemptions(conn: postgres.Conn, requests: Sequence[Requested], outcomes: Sequence[Outcome]) -> int:
    """Requests first: in a batch they were published before the outcomes that answer them."""
    records: list[Requested | Decided] = [*requests, *(o for o in outcomes if isinstance(o, Decided))]
    if not records:
        return 0
    current = await redemptions_db.current(conn, {r.key for r in records})
    changed = redemption_model.project(current, records)
    await redemptions_db.write(conn, changed.values())
    for request in requests:
        if request.shipping_address is not None:
            await personal_data.store_address(conn, request.shop_id, request.customer_id, request.redemption_id,
                                              dict(request.shipping_address), request.occurred_at)  # fmt: skip
    return len(changed)


async def account_outcomes(conn: postgres.Conn, outcomes: Sequence[Outcome]) -> int:
    frozen = accounts.frozen(o for o in outcomes if isinstance(o, StatusChanged))
    rejected = accounts.rejections(o for o in outcomes if isinstance(o, CommandRejected))
    if frozen:
        await accounts_db.write_status(conn, frozen.values())
    if rejected:
        await accounts_db.write_rejections(conn, rejected)
    return len(frozen) + len(rejected)
