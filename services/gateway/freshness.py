"""Read-your-writes: a read with `min_position` waits, bounded, until the read models reflect it.

The rules are in `positions`; this asks Kafka how far each service committed and where its
outputs end (`offsets`), and PostgreSQL how far the projector got. Until the bound, it polls; past
it the read answers 409 `view_behind` (with Retry-After) rather than an older view than was asked
for. A position is checked before anything waits for it: at most MAX_POSITIONS of them, on
partitions that exist, at offsets Kafka can have (else a 400); and only so many reads wait at once
in a process (`offsets.Waits`: beyond, a 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import Depends, Query, Request

from services.common import topics
from services.gateway import offsets, positions
from services.gateway.deps import LedgerPartitionsDep, PoolDep
from services.gateway.errors import ApiError
from services.gateway.offsets import Kafka
from services.gateway.positions import Position, Upstream

POLL_SECONDS = 0.02
DEFAULT_WAIT_MS = 5_000
MAX_WAIT_MS = 30_000
Targets = dict[tuple[str, int], int]
PROJECTOR = "projector"


def upstream() -> dict[str, tuple[Upstream, ...]]:
    """The services that turn a topic's records into records the read models show, by topic name.

    Derived from the topic registry, from the topics the gateway writes (a write's position) onwards:
    a reader of such a topic is followed when it writes records the projector reads, and so are its
    outputs in turn. Readers that keep a topic only for context (earn and redeem on the tiers) make no
    record of it, so nothing waits for them. The ledger is read by redeem (which collects clawbacks and
    repays debts on it) and by tier, so a wait for an order follows it through earn, then both of them.
    """
    found: dict[str, tuple[Upstream, ...]] = {}
    todo = [t for t in topics.ALL if t.writes("gateway")]
    while todo:
        topic = todo.pop(0)
        stages = tuple(stage for use in topic.readers if (stage := _stage(use.service)).outputs)
        if topic.name in found or not stages:
            continue
        found[topic.name] = stages
        todo += [t for t in topics.ALL if any(t.name in stage.outputs for stage in stages)]
    return found


def _stage(service: str) -> Upstream:
    """`service`, with the topics it writes records of that the projector reads."""
    shown = tuple(t.name for t in topics.written_by(service) if any(t.writes(service, r) for r in t.read_by(PROJECTOR)))
    return Upstream(service, () if service == PROJECTOR else shown)


def projected() -> frozenset[str]:
    return frozenset(t.name for t in topics.inputs_of(PROJECTOR))


async def wait_for(wanted: list[Position], pool: PoolDep, client: Kafka, deadline: float) -> dict[str, int | str]:
    """Waits until the read models reflect every position or the deadline passes; returns what is still behind."""
    targets: Targets = {}
    followed: set[tuple[str, str]] = set()
    frontier = wanted
    while frontier:
        targets = positions.merge(targets, positions.direct_targets(frontier, projected()))
        stages = positions.next_stages(frontier, upstream(), followed)
        frontier = []
        for stage, records in stages.items():
            outputs = await _outputs_once_committed(client, stage, records, deadline)
            if outputs is None:
                return {f"{p.topic}:{p.partition}": f"not yet processed by {stage.service}" for p in records}
            followed |= {(stage.service, p.topic) for p in records}
            frontier += [Position(topic, partition, end) for (topic, partition), end in outputs.items()]
    while True:
        stored = await _stored(pool, targets)
        if not (left := positions.behind(targets, stored)) or time.monotonic() >= deadline:
            return dict(left)
        await asyncio.sleep(POLL_SECONDS)


async def _outputs_once_committed(
    client: Kafka, stage: Upstream, records: list[Position], deadline: float
) -> Targets | None:
    """Once the stage's service committed past every record: the ends of its outputs' partitions; None at the
    deadline. Every customer topic is co-partitioned, so the outputs are in the partitions of the same numbers."""
    wanted = sorted({(p.topic, p.partition) for p in records})
    while True:
        committed = await client.committed(stage.service, wanted)
        if all(committed.get((p.topic, p.partition), -1) >= p.next_offset for p in records):
            break
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(POLL_SECONDS)
    return await client.ends({(out, p.partition) for p in records for out in stage.outputs})


async def projection_lag(pool: PoolDep, client: Kafka, partitions: int) -> int:
    """Ledger records committed on Kafka and not yet in the read models, over every partition."""
    ends = await client.ends({(topics.LEDGER.name, p) for p in range(partitions)})
    stored = await _stored(pool, ends)
    return sum(max(0, end - stored.get(key, 0)) for key, end in ends.items())


async def _stored(pool: PoolDep, targets: Targets) -> Targets:
    rows = await pool.fetch(
        "SELECT topic, partition, next_offset FROM projection_positions"
        " WHERE (topic, partition) IN (SELECT * FROM unnest($1::text[], $2::int[]))",
        [t for t, _ in targets],
        [p for _, p in targets],
    )
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def caught_up(
    request: Request,
    pool: PoolDep,
    partitions: LedgerPartitionsDep,
    min_position: Annotated[
        str | None,
        Query(
            max_length=8_000,
            description="a write's `position` (or several, comma-separated), or a balance's: wait until this read "
            "reflects it",
            examples=["shop.orders:3:1042"],
        ),
    ] = None,
    max_wait_ms: Annotated[
        int, Query(ge=0, le=MAX_WAIT_MS, description="how long to wait for `min_position` before a 409")
    ] = DEFAULT_WAIT_MS,
) -> None:
    if min_position is None:
        return
    try:
        wanted = positions.parse(min_position, topics.LEDGER.name)
    except positions.InvalidPosition as exc:
        raise ApiError(400, "invalid_position", str(exc), {"field": "min_position"}) from None
    if unknown := positions.unknown_topics(wanted, projected(), upstream()):
        raise ApiError(
            400, "invalid_position", f"no read model follows {', '.join(unknown)}", {"field": "min_position"}
        )
    if missing := positions.unknown_partitions(wanted, partitions):
        message = f"no such partition: {', '.join(missing)} (the topics have {partitions})"
        raise ApiError(400, "invalid_position", message, {"field": "min_position"})
    with offsets.waits(request.app.state).admitted():
        left = await wait_for(wanted, pool, offsets.kafka(request.app.state), time.monotonic() + max_wait_ms / 1000)
    if left:
        raise ApiError(
            409,
            "view_behind",
            f"the read model has not reached min_position within {max_wait_ms} ms; retry shortly",
            {"field": "min_position", "behind": left},
            headers={"Retry-After": "1"},
        )


FreshDep = Annotated[None, Depends(caught_up)]
"""A read route's parameter, after its credential's: it honours `min_position` once the caller is known
(dependencies resolve in order, so nobody unauthenticated makes the gateway wait)."""
