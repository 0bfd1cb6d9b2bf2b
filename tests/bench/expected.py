"""The test oracle: the balances a correct pipeline must produce, a pure fold of the input through the earn
decider."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from services.earn import decider, messages
from services.earn.validation import ContractViolation
from services.program import Program


def expected_balances(
    events: Iterable[tuple[bytes, dict[str, Any]]], program: Program | None = None
) -> dict[bytes, int]:
    """Paid orders only (duplicates included, as the input has them), under `program` or the default."""
    states: dict[bytes, decider.State] = defaultdict(lambda: decider.initial_state)
    context = decider.Context(program or Program())
    for key, record in events:
        try:
            states[key], _ = decider.handle(messages.order_paid(record), states[key], context)
        except ContractViolation:
            continue
    earned = {key: state.earnings.lifetime_earned for key, state in states.items()}
    return {key: points for key, points in earned.items() if points}
