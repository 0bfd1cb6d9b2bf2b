"""One batch of records applied to the read models in one PostgreSQL transaction.

The projector's exactly-once step, apart from Kafka: lock the stored positions of every partition
the batch read (ledger, tiers and programs alike), drop what is below them, fold the rest
(`readmodel`), write rows, lots, balances, tiers, program versions and the new positions.
Either all of it commits or none of it does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from services.gateway import postgres, readmodel
from services.gateway.postgres import ledger as ledger_db
from services.gateway.postgres import programs as programs_db
from services.gateway.postgres import tiers as tiers_db
from services.gateway.readmodel import LedgerRecord
from services.gateway.readmodel import tiers as tier_model
from services.gateway.readmodel.programs import ProgramRecord, last_of_each
from services.gateway.readmodel.tiers import TierChange


class Positioned(Protocol):
    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...


R = TypeVar("R", bound=Positioned)


@dataclass(frozen=True)
class Consumed(Generic[R]):
    """What a batch read from one topic: its decoded records and the next offset of each partition it read."""

    topic: str
    records: Sequence[R]
    next_offsets: Mapping[int, int]

    def fresh(self, stored: postgres.Positions) -> list[R]:
        """Records below a stored position were projected already (before a crash, or by another projector)."""
        return [r for r in self.records if r.offset >= stored[(self.topic, r.partition)]]


@dataclass(frozen=True)
class Outcome:
    ledger: readmodel.Projection = field(default_factory=readmodel.Projection)
    tiers: int = 0
    """Customers whose tier row changed."""
    programs: int = 0
    stale: int = 0
    """Records skipped because they were below the stored positions."""
    positions: postgres.Positions = field(default_factory=dict)


async def project_batch(
    conn: postgres.Conn,
    ledger: Consumed[LedgerRecord],
    tiers: Consumed[TierChange] | None = None,
    programs: Consumed[ProgramRecord] | None = None,
) -> Outcome:
    """One transaction: the batch's effect on every read model and the new positions, or none of it."""
    sections: list[Consumed[Any]] = [s for s in (ledger, tiers, programs) if s is not None]
    async with conn.transaction():
        stored = await postgres.lock_positions(conn, {s.topic: list(s.next_offsets) for s in sections})
        fresh_ledger = ledger.fresh(stored)
        projection = await _project_ledger(conn, ledger.topic, fresh_ledger)
        changes = tiers.fresh(stored) if tiers is not None else []
        changed_tiers = await _project_tiers(conn, changes)
        configured = programs.fresh(stored) if programs is not None else []
        versions = last_of_each(configured)
        if versions:
            await programs_db.write(conn, versions)
        advanced = {
            (s.topic, p): max(offset, stored[(s.topic, p)]) for s in sections for p, offset in s.next_offsets.items()
        }
        await postgres.advance(conn, advanced)
    stale = sum(len(s.records) for s in sections) - len(fresh_ledger) - len(changes) - len(configured)
    return Outcome(projection, changed_tiers, len(versions), stale, advanced)


async def _project_ledger(conn: postgres.Conn, topic: str, records: list[LedgerRecord]) -> readmodel.Projection:
    if not records:
        return readmodel.Projection()
    known = await ledger_db.known_entries(conn, [r.entry_id for r in records])
    current = await ledger_db.balances(conn, {r.customer for r in records})
    clawed = {r.customer for r in records if r.kind == "clawed_back"}
    opening = [r.lot_id for r in records if r.kind == "earned" and r.lot_id is not None]
    lots = await ledger_db.lots(conn, clawed, opening)
    projection = readmodel.project(current, known, records, lots)
    await ledger_db.write(conn, topic, projection)
    return projection


async def _project_tiers(conn: postgres.Conn, changes: list[TierChange]) -> int:
    if not changes:
        return 0
    current = await tiers_db.states(conn, {c.customer for c in changes})
    changed = tier_model.project(current, changes)
    await tiers_db.write(conn, changed)
    return len(changed)
