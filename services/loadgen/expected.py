"""The balances a correct pipeline must produce: a pure fold of the input through the domain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from services.earn import domain, messages


def expected_balances(events: Iterable[tuple[bytes, dict[str, Any]]]) -> dict[bytes, int]:
    states: dict[bytes, domain.Earnings] = defaultdict(domain.Earnings)
    for key, record in events:
        for event in domain.decide(messages.order_paid(record), states[key], domain.Program()):
            states[key] = domain.evolve(states[key], event)
    return {key: state.lifetime_earned for key, state in states.items() if state.lifetime_earned}
