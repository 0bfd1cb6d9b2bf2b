"""`pointstream inspect SHOP CUSTOMER`: a customer's ledger and lots straight from the Kafka log.

Reads the customer's partition of loyalty.ledger (murmur2 of `shop:customer`, as every producer
places it) from its beginning to its end now, keeps the customer's records and folds them with
the read model's own fold (`folds.project`), so it shows what the read model should hold,
whatever PostgreSQL holds: a way to check a balance an operator doubts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from services.common import logscan, topics
from services.common.codec import Codec, DecodeError
from services.common.settings import settings
from services.gateway import partitioner
from services.readmodels import folds, messages
from services.readmodels.folds import Balance, BalanceView, HeldLot, LedgerRow, Lot


@dataclass(frozen=True)
class Inspection:
    shop_id: str
    customer_id: str
    partition: int
    next_offset: int
    rows: tuple[LedgerRow, ...]
    lots: tuple[HeldLot, ...]
    balance: Balance
    view: BalanceView
    duplicates: int
    rejected: tuple[tuple[int, str], ...]
    """(offset, why) of the entries the fold refused."""
    unreadable: int


def inspect(shop_id: str, customer_id: str, now: datetime) -> Inspection:
    key = topics.customer_key(shop_id, customer_id)
    consumer = logscan.scan_consumer(settings().topic_namespace + "inspect")
    try:
        count = len(logscan.topic_partitions(consumer, [topics.LEDGER.name]))
        partition = partitioner.partition(key, count)
        [span] = logscan.spans(consumer, [(topics.LEDGER.name, partition)])
        codec, records, unreadable = Codec(), [], 0
        for batch in logscan.batches(consumer, [span]):
            for msg in (m for m in batch if m.key() == key):
                try:
                    records.append(messages.ledger_record(codec.decode(msg.value()), partition, msg.offset() or 0))
                except (DecodeError, KeyError, TypeError, ValueError):
                    unreadable += 1
    finally:
        consumer.close()
    folded = folds.project({}, set(), records)
    lots = tuple(sorted(folded.lots.get((shop_id, customer_id), {}).values(), key=lambda lot: lot.expires_at))
    balance = folded.balances.get((shop_id, customer_id), Balance())
    live = [Lot(lot.remaining, lot.available_at, lot.expires_at) for lot in lots if lot.remaining > 0]
    rejected = tuple((record.offset, why) for record, why in folded.rejected)
    return Inspection(shop_id, customer_id, partition, span.end, folded.rows, lots, balance,
                      folds.view(live, now, balance.owed), folded.duplicates, rejected, unreadable)  # fmt: skip


def as_json(found: Inspection) -> dict[str, Any]:
    return {
        "shop_id": found.shop_id,
        "customer_id": found.customer_id,
        "position": f"{found.partition}:{found.next_offset}",
        "entries": [entry(row) for row in found.rows],
        "lots": [asdict(lot) for lot in found.lots],
        "totals": asdict(found.balance) | {"available": found.view.available, "pending": found.view.pending},
        "duplicates": found.duplicates,
        "rejected": [{"offset": offset, "reason": why} for offset, why in found.rejected],
        "unreadable": found.unreadable,
    }


def entry(row: LedgerRow) -> dict[str, Any]:
    r = row.record
    return {
        "offset": r.offset, "occurred_at": r.occurred_at, "entry_id": r.entry_id, "kind": r.kind,
        "points": row.points, "balance_after": row.balance_after, "reason": r.reason,
        "source_event_id": r.source_event_id, "uncollected": row.uncollected, "claimed": row.claimed,
    }  # fmt: skip


def as_text(found: Inspection) -> list[str]:
    where = f"{topics.LEDGER.name}[{found.partition}] up to offset {found.next_offset}"
    lines = [f"{found.shop_id}:{found.customer_id} on {where}", "", ENTRY.format("time", "kind", "points", "balance")]
    for row in found.rows:
        r = row.record
        lines.append(ENTRY.format(r.occurred_at.isoformat(), r.kind, row.points, row.balance_after))
        lines[-1] += f"  {r.reason} / {r.source_event_id}"
    lines += ["", LOT.format("lot", "points", "left", "available_at", "expires_at")]
    for lot in found.lots:
        dates = (lot.available_at.isoformat(), lot.expires_at.isoformat())
        lines.append(LOT.format(lot.lot_id, lot.points, lot.remaining, *dates))
    totals = {"available": found.view.available, "pending": found.view.pending} | asdict(found.balance)
    lines += ["", ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in totals.items())]
    lines += [f"{found.duplicates} duplicate(s) skipped"] if found.duplicates else []
    lines += [f"offset {offset} refused: {why}" for offset, why in found.rejected]
    return lines + ([f"{found.unreadable} unreadable record(s)"] if found.unreadable else [])


ENTRY = "{:<32} {:<16} {:>8} {:>8}"
LOT = "{:<36} {:>8} {:>8}  {:<32} {}"
