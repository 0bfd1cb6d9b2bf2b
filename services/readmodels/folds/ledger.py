"""The ledger fold: ledger records -> per-customer balances, lots and ledger rows. Pure.

`project` folds a batch in log order with `entries.evolve`, skipping entries already projected
(known entry ids, or the same id twice in the batch) and giving each new row its `balance_after`.
The redeem service decides every lot debit and names its shares (decision 0002); this fold applies
them and never chooses a lot, so it ends where the redeem service's own fold ends:
`balance` = Σ lots remaining - owed. An entry that breaks the contract (a share naming a lot the
customer does not hold, or more than the lot has left; a credit reopening a lot) is reported, not
applied.

Earn's credits never repay what is owed here: the redeem service, which reads them after the
debits it decided, repays with an explicit `OwedRepaid`, so both folds repay from the same lot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from services.readmodels.folds.entries import Step, evolve, opens
from services.readmodels.folds.lots import HeldLot, InvalidEntry
from services.readmodels.folds.records import KINDS, Balance, CustomerKey, LedgerRecord, LedgerRow

__all__ = [
    "KINDS", "Balance", "CustomerKey", "InvalidEntry", "LedgerRecord", "LedgerRow", "Lots", "Projection", "Step",
    "evolve", "named_lots", "project",
]  # fmt: skip

Lots = Mapping[CustomerKey, Mapping[str, HeldLot]]


@dataclass(frozen=True)
class Projection:
    """One batch folded: the new rows, the balances and lots they changed, and what was left out."""

    rows: tuple[LedgerRow, ...] = ()
    balances: Mapping[CustomerKey, Balance] = field(default_factory=dict)
    lots: Lots = field(default_factory=dict)
    duplicates: int = 0
    rejected: tuple[tuple[LedgerRecord, str], ...] = ()


def named_lots(records: Iterable[LedgerRecord]) -> set[str]:
    """Every lot the records name: what `project` needs of the lots already held."""
    return {
        lot_id for r in records for lot_id in (r.lot_id, *(share.lot_id for share in r.shares)) if lot_id is not None
    }


def project(
    balances: Mapping[CustomerKey, Balance],
    known: AbstractSet[str],
    records: Iterable[LedgerRecord],
    lots: Lots | None = None,
) -> Projection:
    """Folds records in log order onto `balances` and `lots`; entries in `known` (or seen earlier) are duplicates.

    `lots` must hold every existing lot that `records` name (`named_lots`), whoever holds it.
    """
    current, held = dict(balances), {customer: dict(owned) for customer, owned in (lots or {}).items()}
    opened = {lot_id for owned in held.values() for lot_id in owned}
    changed: dict[CustomerKey, Balance] = {}
    touched: dict[CustomerKey, dict[str, HeldLot]] = {}
    seen, rows, rejected, duplicates = set(known), [], [], 0
    for record in records:
        if record.entry_id in seen:
            duplicates += 1
            continue
        try:
            if reopened := sorted(set(opens(record)) & opened):
                raise InvalidEntry(f"lot {reopened[0]!r} was opened by another entry")
            step = evolve(current.get(record.customer, Balance()), held.get(record.customer, {}), record)
        except InvalidEntry as exc:
            rejected.append((record, str(exc)))
            continue
        seen.add(record.entry_id)
        opened |= set(opens(record))
        current[record.customer] = changed[record.customer] = step.balance
        held.setdefault(record.customer, {}).update(step.lots)
        touched.setdefault(record.customer, {}).update(step.lots)
        rows.append(step.row)
    return Projection(tuple(rows), changed, touched, duplicates, tuple(rejected))
