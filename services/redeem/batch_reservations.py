"""A batch's reward reservations, asked of the stock at once before its steps (decision 0004). Pure.

Before a batch's steps, a look-ahead (`Foreseen`, the decider's stock port) runs the decider over the
batch's customers with every reservation granted, and writes down each reservation the decider asks
for, in the batch's order: what one-at-a-time reservation would ask while the stock has units. The
stock answers them all in one round trip (`Sheet`); each step's reservation is then taken from the
sheet. A reservation the sheet does not hold (a customer whose earlier request of the batch was
refused for stock, and who can now afford another) is asked alone, as before. The grants no decision
used are collected and given back in one round trip at the batch's end (`Sheet.leftovers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.redeem.catalog import Reward
from services.redeem.reservations import Reservation

Grant = tuple[str, str, str]
"""(shop, customer, redemption id)"""


@dataclass(frozen=True)
class Ask:
    """One reservation the decider asks for: `quantity` of a reward with `units` in all (None: unlimited)."""

    shop_id: str
    customer_id: str
    partition: int
    reward_id: str
    redemption_id: str
    quantity: int
    units: int | None

    @property
    def grant(self) -> Grant:
        return (self.shop_id, self.customer_id, self.redemption_id)


def ask(partition: int, shop_id: str, customer_id: str, reward: Reward, redemption_id: str, quantity: int) -> Ask:
    return Ask(shop_id, customer_id, partition, reward.reward_id, redemption_id, quantity, reward.stock)


@dataclass(frozen=True)
class Answer:
    reservation: Reservation
    fresh: bool
    """Granted by this very ask (not found granted by an earlier attempt of the same decision)."""


@dataclass
class Foreseen:
    """The decider's stock port for the look-ahead: every reservation granted, each one asked written down, and
    nothing given back (the look-ahead decides nothing)."""

    partition: int
    asks: list[Ask] = field(default_factory=list)

    def reserve(self, shop_id: str, customer_id: str, reward: Reward, redemption_id: str, quantity: int) -> Reservation:
        self.asks.append(ask(self.partition, shop_id, customer_id, reward, redemption_id, quantity))
        return Reservation(True, 0)

    def unused(self, shop_id: str, customer_id: str, redemption_id: str) -> None:
        return None

    def release(self, shop_id: str, customer_id: str, redemption_id: str) -> bool:
        return False


class Sheet:
    """The stock's answers to a batch's asks: each taken at most once, by a step that asks the same."""

    def __init__(self, answers: dict[Ask, Answer] | None = None) -> None:
        self._answers = dict(answers or {})
        self._taken: set[Ask] = set()
        self._unused: dict[Grant, None] = {}

    def take(self, asked: Ask) -> Reservation | None:
        """The stock's answer to this ask, if the batch asked it and no step took it yet."""
        answer = self._answers.get(asked)
        if answer is None or asked in self._taken:
            return None
        self._taken.add(asked)
        return answer.reservation

    def give_back(self, grant: Grant) -> None:
        """A grant a decision relied on and does not use: given back with the leftovers."""
        self._unused[grant] = None

    def leftovers(self) -> list[Grant]:
        """What the batch gives back at its end: the grants its decisions did not use, and the fresh grants of
        asks no step took (a grant found from an earlier attempt that no step took is the reconciliation's)."""
        untaken = (a.grant for a, answer in self._answers.items() if a not in self._taken and fresh_grant(answer))
        return list(dict.fromkeys([*self._unused, *untaken]))


def fresh_grant(answer: Answer) -> bool:
    return answer.fresh and answer.reservation.granted
