"""The redeem service's own step over an in-memory state store, with reward stock kept in a dict as PostgreSQL
keeps it (a reservation per customer's redemption id, granted or not, given back at most once). Inputs go in
batches as the runtime hands them over: looked ahead (`prepare`), stepped in order, finished."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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
from services.redeem.batch_reservations import Answer, Ask, Grant
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
    touched: int = 0
    """The batch that last relied on it: the reconciliation leaves the current batch's alone (too recent)."""


@dataclass
class DictStock:
    units: dict[str, int] = field(default_factory=dict)
    """reward -> units reserved."""
    held: dict[tuple[str, str], Held] = field(default_factory=dict)
    """(shop, redemption id) -> its reservation."""
    round_trips: int = 0
    batches: int = 0
    alone: int = 0
    """Reservations asked one at a time (not with a batch's)."""

    def reserve(
        self, shop: str, customer: str, partition: int, reward: str, redemption_id: str, quantity: int,
        units: int | None,
    ) -> stock.Reservation:  # fmt: skip
        self.round_trips += 1
        self.alone += 1
        return self._reserve(shop, customer, partition, reward, redemption_id, quantity, units)

    def _reserve(
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
        found.touched = self.batches
        return stock.Reservation(found.granted, 0 if found.granted else None)

    def reserve_all(self, asks: Sequence[Ask]) -> list[Answer]:
        self.batches += 1
        answers = []
        for a in asks:
            found = self.held.get((a.shop_id, a.redemption_id))
            held = found is not None and found.granted and not found.released
            answer = self._reserve(a.shop_id, a.customer_id, a.partition, a.reward_id, a.redemption_id, a.quantity,
                                  a.units)  # fmt: skip
            answers.append(Answer(answer, answer.granted and not held))
        self.round_trips += 1 if asks else 0
        return answers

    def release_all(self, grants: Sequence[Grant]) -> int:
        self.round_trips += 1 if grants else 0
        return sum(self._release(*g) for g in grants)

    def release(self, shop: str, customer: str, redemption_id: str) -> bool:
        self.round_trips += 1
        return self._release(shop, customer, redemption_id)

    def _release(self, shop: str, customer: str, redemption_id: str) -> bool:
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
            if h.granted
            and not h.released
            and not h.settled
            and h.partition in (partition, None)
            and h.touched < self.batches
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
        """One input, a batch of its own; its state changes count only if `commit` (else the batch's transaction
        aborted after its steps, or the record was dead-lettered)."""
        return self.send_all([event], logged_at, topic, commit)

    def send_all(
        self, events: Sequence[Any], logged_at: datetime | None = None, topic: str | None = None, commit: bool = True
    ) -> list[Output]:
        """Inputs as one batch of the runtime: looked ahead, stepped in order, finished before the commit."""
        inputs = [self.decoded(event, logged_at, topic) for event in events]
        self.redeem.prepare([(key, decoded, StateView(self.store, self.number, {})) for key, decoded in inputs])
        changes: dict[tuple[int, bytes], bytes | None] = {}
        outputs = []
        for key, decoded in inputs:
            view = StateView(self.store, self.number, changes)
            outputs += self.redeem.step(key, decoded, view)
            changes.update({(self.number, k): v for k, v in view.staged.items()})
        self.redeem.finish()
        if commit:
            self.store.put_all(changes)
        return outputs

    def decoded(self, event: Any, logged_at: datetime | None, topic: str | None) -> tuple[bytes, Decoded]:
        name = type(event).__name__
        record = dataclasses.asdict(event)
        if isinstance(event, ExpiryTick):
            key, topic = b"\x00tick", topic or topics.EXPIRY_TICKS.name
        else:
            key, topic = topics.customer_key(event.shop_id, event.customer_id), topic or topic_of(name)
        at = millis(logged_at) if logged_at is not None else None
        return key, Decoded(name, record, topic, self.number, at)

    def account(self, customer: str) -> Account:
        return load_account(self.store.get(self.number, topics.customer_key(SHOP, customer)), SHOP, customer)

    def state(self) -> dict[bytes, bytes]:
        return stored(self.store, self.number)


def topic_of(name: str) -> str:
    if name in ("PointsEarned", "PointsClawedBack"):
        return topics.LEDGER.name
    if name == "TierChanged":
        return topics.TIERS.name
    return topics.REDEMPTION_REQUESTS.name


def records(outputs: list[Output], name: str) -> list[dict[str, Any]]:
    return [o.record for o in outputs if o.name == name]
