"""Reward grants the redeem step answers for: those it relied on lately, and the reconciliation of the rest.

A grant no approval uses goes back to the stock (`reservations.py` says why and when): the step
gives back at once a grant it relied on itself, when it decides the same request otherwise, and a
tick reconciles its partition's grants that no Kafka transaction can still commit on.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from prometheus_client import Counter

from services.common import topics
from services.common.statestore import StateView
from services.redeem import stock
from services.redeem.reservations import verdict
from services.redeem.state import load_account

RELEASED = Counter(
    "pointstream_redeem_reservations_released_total", "Reward reservations granted, unused and given back", ["why"]
)
Grant = tuple[str, str, str]
"""(shop, customer, redemption id)"""


class Grants(Protocol):
    def release(self, shop: str, customer: str, redemption_id: str) -> bool: ...

    def settle_confirmed(self, partition: int, older_than_s: float) -> int: ...

    def unsettled(self, partition: int, older_than_s: float, limit: int) -> list[stock.Held]: ...

    def settle(self, held: list[stock.Held]) -> None: ...


class Recent:
    """The grants this process relied on lately (the oldest forgotten beyond `size`)."""

    def __init__(self, size: int = 10_000) -> None:
        self._grants: OrderedDict[Grant, None] = OrderedDict()
        self._size = size

    def remember(self, grant: Grant) -> None:
        self._grants[grant] = None
        self._grants.move_to_end(grant)
        if len(self._grants) > self._size:
            self._grants.popitem(last=False)

    def forget(self, grant: Grant) -> bool:
        """Whether this process relied on the grant (and no longer does)."""
        return self._grants.pop(grant, False) is None

    def clear(self) -> None:
        self._grants.clear()


def reconcile(view: StateView, grants: Grants, partition: int, older_than_s: float, limit: int) -> None:
    """Settles or gives back the partition's grants no approval confirmed, once no decision can commit on them."""
    grants.settle_confirmed(partition, older_than_s)
    settled = []
    for held in grants.unsettled(partition, older_than_s, limit):
        raw = view.get(topics.customer_key(held.shop_id, held.customer_id))
        mine = raw is not None or held.partition == partition
        answer = verdict(load_account(raw, held.shop_id, held.customer_id) if mine else None, held.redemption_id)
        if answer == "settle":
            settled.append(held)
        elif answer == "release" and grants.release(held.shop_id, held.customer_id, held.redemption_id):
            RELEASED.labels("reconciled").inc()
    if settled:
        grants.settle(settled)
