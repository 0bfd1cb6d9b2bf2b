"""Read-your-writes, the pure part: what a read must wait for before it reflects a write.

A write answers with the position of its record, `topic:partition:offset`. A read passing it as
`min_position` waits until the read models hold everything that follows from that record:
- a record the projector reads itself (a program version, a reward, a ledger entry) is reflected
  once the projector's stored position in its partition is past it;
- a record a service turns into ledger entries first (an order, a task, a redemption request) is
  reflected once that service has committed past it and the projector has reached the end that
  its outputs' partitions had at that moment; and so on through the services that read those
  outputs in turn (redeem and tier read the ledger). Every customer topic is co-partitioned, so
  the outputs are in the partition of the same number.
A balance's own `position`, `partition:next_offset` of the ledger, is accepted too, so a client
that read once never reads an older view afterwards (from another gateway, say).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

MAX_POSITIONS = 10
"""Positions one read may wait for: a write's, plus a few reads' (a client needs no more)."""
MAX_PARTITION = 2**31 - 1
MAX_NEXT_OFFSET = 2**63 - 1
"""Kafka's widths: a partition is a 32-bit int, an offset a 64-bit one."""
NUMBER = re.compile(r"[0-9]{1,19}")


class InvalidPosition(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Position:
    topic: str
    partition: int
    next_offset: int
    """The offset just past the record: the read models reflect it once they reached this."""


@dataclass(frozen=True)
class Upstream:
    """The service that turns a topic's records into records of `outputs`, by its consumer group."""

    service: str
    outputs: tuple[str, ...]


def parse(text: str, ledger_topic: str) -> list[Position]:
    """`topic:partition:offset` (a write's record) or `partition:next_offset` (a balance), comma-separated."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not 1 <= len(items) <= MAX_POSITIONS:
        raise InvalidPosition(f"give between 1 and {MAX_POSITIONS} positions, comma-separated")
    return [_one(item, ledger_topic) for item in items]


def _one(item: str, ledger_topic: str) -> Position:
    parts = item.rsplit(":", 2)
    if len(parts) < 2 or not all(NUMBER.fullmatch(n) for n in parts[-2:]) or (len(parts) == 3 and not parts[0]):
        raise InvalidPosition(f"{item!r} is not `topic:partition:offset` or `partition:offset`")
    partition, offset = (int(n) for n in parts[-2:])
    found = Position(parts[0], partition, offset + 1) if len(parts) == 3 else Position(ledger_topic, partition, offset)
    if found.partition > MAX_PARTITION or found.next_offset > MAX_NEXT_OFFSET:
        raise InvalidPosition(f"{item!r} names a partition or an offset Kafka cannot have")
    return found


def unknown_partitions(wanted: list[Position], partitions: int) -> list[str]:
    """`topic:partition` of the positions past the topics' partition count (every topic has the same)."""
    return sorted({f"{p.topic}:{p.partition}" for p in wanted if p.partition >= partitions})


def direct_targets(positions: list[Position], projected: frozenset[str]) -> dict[tuple[str, int], int]:
    """What the projector itself must have reached: the highest position per projected partition."""
    targets: dict[tuple[str, int], int] = {}
    for p in positions:
        if p.topic in projected:
            targets[(p.topic, p.partition)] = max(p.next_offset, targets.get((p.topic, p.partition), 0))
    return targets


def unknown_topics(
    positions: list[Position], projected: frozenset[str], upstream: Mapping[str, tuple[Upstream, ...]]
) -> list[str]:
    return sorted({p.topic for p in positions if p.topic not in projected and p.topic not in upstream})


def next_stages(
    frontier: list[Position], upstream: Mapping[str, tuple[Upstream, ...]], followed: set[tuple[str, str]]
) -> dict[Upstream, list[Position]]:
    """The services still to wait for, with the positions each must have committed past.

    A service is followed once per topic (`followed` holds `(service, topic)`), so a service that
    reads and writes the same log (redeem, on the ledger) is waited for once, not chased forever.
    """
    grouped: dict[Upstream, list[Position]] = {}
    for p in frontier:
        for stage in upstream.get(p.topic, ()):
            if (stage.service, p.topic) not in followed:
                grouped.setdefault(stage, []).append(p)
    return grouped


def merge(*targets: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
    merged: dict[tuple[str, int], int] = {}
    for each in targets:
        for key, offset in each.items():
            merged[key] = max(offset, merged.get(key, 0))
    return merged


def behind(targets: Mapping[tuple[str, int], int], stored: Mapping[tuple[str, int], int]) -> dict[str, int]:
    """`topic:partition` -> records still to project, for every target not reached."""
    return {f"{t}:{p}": o - stored.get((t, p), 0) for (t, p), o in sorted(targets.items()) if stored.get((t, p), 0) < o}
