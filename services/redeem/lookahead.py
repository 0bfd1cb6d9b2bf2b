"""The look-ahead before a batch's steps: the reservations its decisions will ask for (decision 0004).

Each customer's records of the batch, up to that customer's last redemption request, go through the
decider from the state committed before the batch, with every reservation granted
(`batch_reservations.Foreseen`): the steps will decide the same, in the same order, as long as the
stock grants what is asked. Customers are independent (only the stock joins them), so folding them
one by one in the batch's order asks what the steps will ask, in their order. A tick expires the due
lots of the customers of its partition, as its sweep will (a sweep bounded to SWEEP_LIMIT customers
may leave some for the next tick: a request of theirs is then asked alone). A record the step would
dead-letter is passed over.
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
Load = Callable[[StateView, bytes, Decoded], State]
"""The customer's state before the batch."""
Clock = Callable[[Decoded], Any]
"""The expiry tick's command, if the record moves the clock (None: it does not)."""
Foresee = Callable[[Any, State, int, bool], tuple[State, list[Ask]]]
"""The state after a command had every reservation been granted, and the reservations it asked (the flag: the
customer's last request of the batch, after which its state is not needed)."""


def asks(
    batch: Sequence[tuple[bytes, Decoded, StateView]], command: Command, load: Load, foresee: Foresee, clock: Clock
) -> list[Ask]:
    """The reservations the batch's steps will ask for, in their order (none for a batch without a request)."""
    last = {key: i for i, (key, decoded, _) in enumerate(batch) if decoded.name == "RedemptionRequested"}
    states: dict[bytes, tuple[State, int]] = {}
    ticks: dict[int, list[Any]] = {}
    asked: list[Ask] = []
    for i, (key, decoded, view) in enumerate(batch):
        if decoded.name == "ExpiryTick":
            if (tick := clock(decoded)) is not None:
                ticks.setdefault(decoded.partition, []).append(tick)
                swept = [k for k, (_, at) in states.items() if at == decoded.partition and last[k] > i]
                for k in swept:
                    states[k] = (foresee(tick, states[k][0], decoded.partition, False)[0], decoded.partition)
            continue
        if i > last.get(key, -1):
            continue
        try:
            if (cmd := command(key, decoded)) is None:
                continue
            state = states[key][0] if key in states else swept_by(ticks, load(view, key, decoded), decoded, foresee)
            after, more = foresee(cmd, state, decoded.partition, i == last[key])
        except Exception as exc:  # the step refuses it again, and dead-letters it
            log.debug("look-ahead passes over %s: %s", decoded.name, exc)
            continue
        states[key] = (after, decoded.partition)
        asked += more
    return asked


def swept_by(ticks: dict[int, list[Any]], state: State, decoded: Decoded, foresee: Foresee) -> State:
    """A customer's state after the batch's earlier ticks of its partition (a sweep finds its due lots)."""
    for tick in ticks.get(decoded.partition, []):
        state = foresee(tick, state, decoded.partition, False)[0]
    return state
