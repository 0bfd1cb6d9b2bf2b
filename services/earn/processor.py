"""The earn service's stream processor: shop.orders -> loyalty.ledger, exactly once.

Reads like a sentence: decode, load the customer's earnings, decide, evolve, emit.
"""

from __future__ import annotations

from services.common import topics
from services.common.codec import Decoded
from services.common.processor import Output, ProcessorConfig, Rejected
from services.common.statestore import StateView
from services.earn import domain, messages

PROGRAM = domain.Program()


def step(key: bytes, decoded: Decoded, state: StateView) -> list[Output]:
    if decoded.name != "OrderPaid":
        return []  # refunds are handled with the earning rules
    order = messages.order_paid(decoded.record)
    if key != topics.customer_key(order.shop_id, order.customer_id):
        raise Rejected(f"key {key!r} is not '{{shop_id}}:{{customer_id}}' of the event")
    seen = messages.seen_key(key, order.event_id)
    earnings = messages.load_earnings(state.get(key), frozenset({order.event_id}) if state.get(seen) else frozenset())
    try:
        events = domain.decide(order, earnings, PROGRAM)
    except domain.ContractViolation as exc:
        raise Rejected(str(exc)) from exc
    for event in events:
        earnings = domain.evolve(earnings, event)
        state.put(messages.seen_key(key, event.source_event_id), b"1")
    if events:
        state.put(key, messages.dump_aggregate(earnings))
    return [Output(topics.LEDGER, "PointsEarned", messages.points_earned(e)) for e in events]


def config(batch_size: int = 500) -> ProcessorConfig:
    return ProcessorConfig(
        service="earn",
        inputs=(topics.ORDERS,),
        changelog=topics.EARN_STATE,
        step=step,
        batch_size=batch_size,
    )
