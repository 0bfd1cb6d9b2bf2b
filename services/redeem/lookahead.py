"""The look-ahead before a batch's steps: the reservations its decisions will ask for (decision 0004).

Each customer's records of the batch, up to that customer's last redemption request, go through the
decider from the state committed before the batch, with every reservation granted
(`batch_reservations.Foreseen`): the steps will decide the same, in the same order, as long as the
stock grants what is asked. Customers are independent (only the stock joins them), so folding them
one by one in the batch's order asks what the steps will ask, in their order. A record the step
would dead-letter is passed over, as are ticks: a sweep in the middle of a batch can only make the
look-ahead ask one reservation too many, given back at the batch's end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from services.common.codec import Decoded
from services.common.statestore import StateView
from services.redeem.batch_reservations import Ask
from services.redeem.decider import State

log = logging.getLogger(__name__)
Command = Callable[[bytes, Decoded], Any]
"""The record's command as the step reads it (None: nothing to decide); raises for a record it refuses."""
Load = Callable[[StateView, bytes, str, str], State]
Foresee = Callable[[Any, State, int], tuple[State, list[Ask]]]
"""The state after a command had every reservation been granted, and the reservations it asked."""


def asks(
    batch: Sequence[tuple[bytes, Decoded, StateView]], command: Command, load: Load, foresee: Foresee
) -> list[Ask]:
    """The reservations the batch's steps will ask for, in their order (none for a batch without a request)."""
    last = {key: i for i, (key, decoded, _) in enumerate(batch) if decoded.name == "RedemptionRequested"}
    states: dict[bytes, State] = {}
    asked: list[Ask] = []
    for i, (key, decoded, view) in enumerate(batch):
        if i > last.get(key, -1) or decoded.name == "ExpiryTick":
            continue
        try:
            if (cmd := command(key, decoded)) is None:
                continue
            record = decoded.record
            state = states[key] if key in states else load(view, key, record["shop_id"], record["customer_id"])
            states[key], more = foresee(cmd, state, decoded.partition)
        except Exception as exc:  # the step refuses it again, and dead-letters it
            log.debug("look-ahead passes over %s: %s", decoded.name, exc)
            continue
        asked += more
    return asked
