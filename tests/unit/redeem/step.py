"""The redeem service's own step over an in-memory state store."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from confluent_kafka import Consumer

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output
from services.common.programs import ProgramBook
from services.common.statestore import StateStore, StateView
from services.common.timestamps import millis
from services.redeem import stock
from services.redeem.domain import Account, ExpiryTick
from services.redeem.processor import Redeem, Stock
from services.redeem.rewards import RewardBook
from services.redeem.state import load_account
from tests.unit.redeem.support import SECRET, SHOP


class EmptyChangelog:
    def get_watermark_offsets(self, *args: Any, **kwargs: Any) -> tuple[int, int]:
        return (0, 0)

    def assign(self, partitions: Any) -> None: ...

    def unassign(self) -> None: ...


class Unlimited:
    """Stock that grants every reservation."""

    def reserve(self, *args: Any) -> stock.Reservation:
        return stock.Reservation(True, 0)

    def release(self, *args: Any) -> None: ...


@dataclass
class Partition:
    """One partition of the redeem service: its step, its committed state, its stock."""

    rewards: RewardBook = field(default_factory=RewardBook)
    store: StateStore = field(
        default_factory=lambda: StateStore("redeem.customer-state", cast(Consumer, EmptyChangelog()))
    )
    number: int = 0

    def __post_init__(self) -> None:
        self.store.restore([self.number])
        self.redeem = Redeem(ProgramBook(), self.rewards, cast(Stock, Unlimited()), secrets={SHOP: SECRET})

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
        return dict(self.store._partitions[self.number])


def topic_of(name: str) -> str:
    if name in ("PointsEarned", "PointsClawedBack"):
        return topics.LEDGER.name
    return topics.REDEMPTION_REQUESTS.name


def records(outputs: list[Output], name: str) -> list[dict[str, Any]]:
    return [o.record for o in outputs if o.name == name]
