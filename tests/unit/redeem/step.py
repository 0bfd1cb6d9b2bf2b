"""The redeem service's own step over an in-memory state store, with reward stock kept in a dict as PostgreSQL
keeps it (a reservation per customer's redemption id, granted or not, given back at most once)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output
from services.common.programs import ProgramBook
from services.common.statestore import StateStore, StateView
from services.common.timestamps import millis
from services.redeem import stock
from services.redeem.account import Account
from services.redeem.events import ExpiryTick
from services.redeem.processor import Redeem
from services.redeem.reward_stock import Stock
from services.redeem.rewards import RewardBook
from services.redeem.state import load_account
from tests.unit.memory import scratch_store, stored
from tests.unit.redeem.support import SECRET, SHOP


@dataclass
class Held:
    customer: str
    reward: str
    quantity: int
    granted: bool
    partition: int | None = 0
    released: bool = False
    settled: bool = False


@dataclass
class DictStock:
    units: dict[str, int] = field(default_factory=dict)
    """reward -> units reserved."""
    held: dict[tuple[str, str], Held] = field(default_factory=dict)
    """(shop, redemption id) -> its reservation."""

    def reserve(
        self, shop: str, customer: str, partition: int, reward: str, redemption_id: str, quantity: int,
        units: int | None,
    ) -> stock.Reservation:  # fmt: skip
        found = self.held.get((shop, redemption_id))
        if found is not None and found.customer != customer:
            return stock.Reservation(False, None, taken=True)
        if found is None or (found.granted and found.released):
            fits = units is None or self.units.get(reward, 0) + quantity <= units
            self.units[reward] = self.units.get(reward, 0) + (quantity if fits else 0)
            found = self.held[(shop, redemption_id)] = Held(customer, reward, quantity, fits, partition)
        return stock.Reservation(found.granted, 0 if found.granted else None)

    def release(self, shop: str, customer: str, redemption_id: str) -> bool:
        found = self.held.get((shop, redemption_id))
        if found is None or found.customer != customer or not found.granted or found.released:
            return False
        found.released = True
        self.units[found.reward] -= found.quantity
        return True

    def settle_confirmed(self, partition: int, older_than_s: float) -> int:
        return 0  # no read model here: every unconfirmed grant is reconciled by the account

    def unsettled(self, partition: int, older_than_s: float, limit: int) -> list[stock.Held]:
        return [
            stock.Held(shop, h.customer, redemption_id, h.partition)
            for (shop, redemption_id), h in self.held.items()
            if h.granted and not h.released and not h.settled and h.partition in (partition, None)
        ][:limit]

    def settle(self, held: list[stock.Held]) -> None:
        for h in held:
            self.held[(h.shop_id, h.redemption_id)].settled = True


@dataclass
class Partition:
    """One partition of the redeem service: its step, its committed state, its stock."""

    rewards: RewardBook = field(default_factory=RewardBook)
    stock: DictStock = field(default_factory=DictStock)
    store: StateStore = field(default_factory=lambda: scratch_store("redeem.customer-state"))
    number: int = 0

    def __post_init__(self) -> None:
        self.store.restore([self.number])  # the partition's, when not 0
        self.redeem = Redeem(ProgramBook(), self.rewards, cast(Stock, self.stock), secrets={SHOP: SECRET})

    def offer(self, reward_id: str, version: int = 1, **document: Any) -> None:
        self.rewards.add(
            SHOP, reward_id, version, {"name": reward_id, "kind": "physical", "points_price": 100} | document
        )

    def send(
        self, event: Any, logged_at: datetime | None = None, topic: str | None = None, commit: bool = True
    ) -> list[Output]:
        """One input as the runtime hands it to the step; its state changes count only if `commit` (else the
        batch's transaction aborted)."""
        name = type(event).__name__
        record = dataclasses.asdict(event)
        if isinstance(event, ExpiryTick):
            key, topic = b"\x00tick", topic or topics.EXPIRY_TICKS.name
        else:
            key, topic = topics.customer_key(event.shop_id, event.customer_id), topic or topic_of(name)
        at = millis(logged_at) if logged_at is not None else None
        view = StateView(self.store, self.number, {})
        outputs = self.redeem.step(key, Decoded(name, record, topic, self.number, at), view)
        if commit:
            self.store.put_all({(self.number, k): v for k, v in view.staged.items()})
        return outputs

    def account(self, customer: str) -> Account:
        return load_account(self.store.get(self.number, topics.customer_key(SHOP, customer)), SHOP, customer)

    def state(self) -> dict[bytes, bytes]:
        return stored(self.store, self.number)


def topic_of(name: str) -> str:
    if name in ("PointsEarned", "PointsClawedBack"):
        return topics.LEDGER.name
    return topics.REDEMPTION_REQUESTS.name


def records(outputs: list[Output], name: str) -> list[dict[str, Any]]:
    return [o.record for o in outputs if o.name == name]
