"""The reward stock as the redeem step reaches it: PostgreSQL called from the synchronous step (`Stock`),
and the decider's stock port over it (`Reservations`), which takes the batch's answers from its sheet
(`batch_reservations.py`), asks alone what the sheet does not hold, and remembers the grants it relied on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter

from services.common.database import connect
from services.common.outage import Unavailable, database_outage
from services.redeem import grants, stock
from services.redeem.batch_reservations import Answer, Ask, Grant, Sheet, ask
from services.redeem.catalog import Reward
from services.redeem.reservations import Reservation

ASKED = Counter(
    "pointstream_redeem_reservations_asked_total",
    "Reward reservations the redeem step used, by how they were asked: with the batch's, or alone",
    ["how"],
)


class Stock:
    """The PostgreSQL reservations, called from the synchronous step.

    A database that cannot be reached (refused, closed or timed-out connections, a server shutting
    down) raises `Unavailable`, so the runtime retries the batch instead of dead-lettering the request;
    the connection is dropped and opened again on the next call.
    """

    def __init__(self, database_url: str, schema: str | None, timeout_s: float = 10.0) -> None:
        self._loop = asyncio.new_event_loop()
        self._url, self._schema, self._timeout_s = database_url, schema, timeout_s
        self._conn: Any = None

    def _run(self, work: Any) -> Any:
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = self._loop.run_until_complete(self._connect())
            return self._loop.run_until_complete(asyncio.wait_for(work(self._conn), self._timeout_s))
        except Exception as exc:
            if not database_outage(exc):
                raise
            self._drop()
            raise Unavailable("PostgreSQL", f"{type(exc).__name__}: {exc}") from exc

    async def _connect(self) -> Any:
        return await asyncio.wait_for(connect(self._url, self._schema), self._timeout_s)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    def reserve(
        self, shop: str, customer: str, partition: int, reward: str, redemption_id: str, quantity: int,
        units: int | None,
    ) -> stock.Reservation:  # fmt: skip
        reservation: stock.Reservation = self._run(
            lambda conn: stock.reserve(conn, shop, customer, partition, reward, redemption_id, quantity, units)
        )
        return reservation

    def reserve_all(self, asks: Sequence[Ask]) -> list[Answer]:
        """Every ask of a batch, in its order, in one round trip (none for no ask)."""
        if not asks:
            return []
        answers: list[Answer] = self._run(lambda conn: stock.reserve_all(conn, asks))
        return answers

    def release_all(self, grants_: Sequence[Grant]) -> int:
        """Gives these grants back, in one round trip (none for no grant)."""
        if not grants_:
            return 0
        released: int = self._run(lambda conn: stock.release_all(conn, grants_))
        return released

    def release(self, shop: str, customer: str, redemption_id: str) -> bool:
        released: bool = self._run(lambda conn: stock.release(conn, shop, customer, redemption_id))
        return released

    def settle_confirmed(self, partition: int, older_than_s: float) -> int:
        settled: int = self._run(lambda conn: stock.settle_confirmed(conn, partition, older_than_s))
        return settled

    def unsettled(self, partition: int, older_than_s: float, limit: int) -> list[stock.Held]:
        held: list[stock.Held] = self._run(lambda conn: stock.unsettled(conn, partition, older_than_s, limit))
        return held

    def settle(self, held: list[stock.Held]) -> None:
        self._run(lambda conn: stock.settle(conn, held))


@dataclass
class Reservations:
    """The decider's stock port over PostgreSQL, for one partition's step."""

    stock: Stock
    granted: grants.Recent
    partition: int
    sheet: Sheet = field(default_factory=Sheet)
    """The batch's answers, asked before its steps; what it does not hold is asked alone."""

    def reserve(self, shop_id: str, customer_id: str, reward: Reward, redemption_id: str, quantity: int) -> Reservation:
        asked = ask(self.partition, shop_id, customer_id, reward, redemption_id, quantity)
        reservation = self.sheet.take(asked)
        if reservation is None:
            ASKED.labels("alone").inc()
            reservation = self.stock.reserve(
                shop_id, customer_id, self.partition, reward.reward_id, redemption_id, quantity, reward.stock
            )
        else:
            ASKED.labels("batch").inc()
        if reservation.granted:
            self.granted.remember(asked.grant)
        return reservation

    def unused(self, shop_id: str, customer_id: str, redemption_id: str) -> None:
        """A grant this process relied on is given back with the batch's leftovers, at its end."""
        if self.granted.forget((shop_id, customer_id, redemption_id)):
            self.sheet.give_back((shop_id, customer_id, redemption_id))

    def release(self, shop_id: str, customer_id: str, redemption_id: str) -> bool:
        return self.stock.release(shop_id, customer_id, redemption_id)
