"""The test oracle: the balances a correct pipeline must produce, a pure fold of the input through the domain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from services.earn import domain, messages
from services.program import Program


def expected_balances(
    events: Iterable[tuple[bytes, dict[str, Any]]], program: Program | None = None
) -> dict[bytes, int]:
    """Paid orders only (duplicates included, as the input has them), under `program` or the default."""
    states: dict[bytes, domain.Earnings] = defaultdict(domain.Earnings)
    program = program or Program()
    for key, record in events:
        try:
            decided = domain.decide_order(messages.order_paid(record), states[key], program)
        except domain.ContractViolation:
            continue
        for event in decided:
            states[key] = domain.evolve(states[key], event, program)
    return {key: state.lifetime_earned for key, state in states.items() if state.lifetime_earned}
