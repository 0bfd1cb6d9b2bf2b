"""One batch of records applied to the read models in one PostgreSQL transaction.

The projector's exactly-once step, apart from Kafka: lock the stored positions of every partition
the batch read (of every topic alike), drop what is below them, fold the rest into each read model
(`projections`), write the new positions. Either all of it commits or none of it does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from services.projector import projections
from services.readmodels import folds, postgres
from services.readmodels.folds import LedgerRecord
from services.readmodels.folds.programs import ProgramRecord
from services.readmodels.folds.redemptions import Requested
from services.readmodels.folds.rewards import RewardRecord
from services.readmodels.folds.tiers import TierChange
from services.readmodels.messages import Outcome as OutcomeRecord


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

    def passed(self) -> Consumed[R]:
        """None of the records, all of the positions: what the batch leaves when its records are stepped over."""
        return Consumed(self.topic, [], self.next_offsets)


@dataclass(frozen=True)
class Outcome:
    ledger: folds.Projection = field(default_factory=folds.Projection)
    tiers: int = 0
    """Customers whose tier row changed."""
    programs: int = 0
    redemptions: int = 0
    accounts: int = 0
    """Freezes and refused commands written."""
    rewards: int = 0
    stale: int = 0
    """Records skipped because they were below the stored positions."""
    positions: postgres.Positions = field(default_factory=dict)


async def project_batch(
    conn: postgres.Conn,
    ledger: Consumed[LedgerRecord],
    tiers: Consumed[TierChange] | None = None,
    programs: Consumed[ProgramRecord] | None = None,
    *,
    requests: Consumed[Requested] | None = None,
    outcomes: Consumed[OutcomeRecord] | None = None,
    rewards: Consumed[RewardRecord] | None = None,
) -> Outcome:
    """One transaction: the batch's effect on every read model and the new positions, or none of it."""
    sections: list[Consumed[Any]] = [s for s in (ledger, tiers, programs, requests, outcomes, rewards) if s is not None]
    async with conn.transaction():
        stored = await postgres.lock_positions(conn, {s.topic: list(s.next_offsets) for s in sections})
        fresh = {s.topic: s.fresh(stored) for s in sections}
        advanced = {(s.topic, p): max(o, stored[(s.topic, p)]) for s in sections for p, o in s.next_offsets.items()}

        def of(section: Consumed[R] | None) -> list[R]:
            return fresh[section.topic] if section is not None else []

        projection = await projections.ledger(conn, ledger.topic, of(ledger))
        outcome = Outcome(
            projection,
            tiers=await projections.tiers(conn, of(tiers)),
            programs=await projections.programs(conn, of(programs)),
            redemptions=await projections.redemptions(conn, of(requests), of(outcomes)),
            accounts=await projections.account_outcomes(conn, of(outcomes)),
            rewards=await projections.rewards(conn, of(rewards)),
            stale=sum(len(s.records) for s in sections) - sum(len(f) for f in fresh.values()),
            positions=advanced,
        )
        await postgres.advance(conn, outcome.positions)
    return outcome
