"""`POST /v1/events`: shop facts over HTTP, validated against the Avro contract, put on Kafka.

All events of a request are validated before any is produced. 202 only once the broker has
acknowledged every record; the answer carries each record's `topic:partition:offset`. If Kafka
fails part-way the answer is 503 and some events may be on Kafka: sending them again is safe,
since duplicates (same `event_id`) are ignored downstream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from fastapi import APIRouter, Body

from services.common import topics
from services.common.jsonio import InvalidEvent, from_json
from services.gateway.deps import CodecDep, ProducerDep, ShopDep
from services.gateway.errors import ApiError
from services.gateway.responses import Accepted, errors

router = APIRouter(prefix="/v1", tags=["events"])
TOPIC_OF = {
    "OrderPaid": topics.ORDERS,
    "OrderRefunded": topics.ORDERS,
    "TaskCompleted": topics.TASKS,
    "RedemptionRequested": topics.REDEMPTION_REQUESTS,
}
MAX_BATCH = 1000
ACK_TIMEOUT_S = 30
EventsBody = Annotated[
    dict[str, Any] | list[dict[str, Any]],
    Body(description="one event or an array, each a JSON object with a `type` field (DESIGN §3)"),
]


@router.post("/events", status_code=202, responses=errors(400, 401, 403, 422, 503))
async def publish(payload: EventsBody, shop: ShopDep, codec: CodecDep, producer: ProducerDep) -> Accepted:
    events = payload if isinstance(payload, list) else [payload]
    if not 1 <= len(events) <= MAX_BATCH:
        raise ApiError(400, "invalid_batch", f"send between 1 and {MAX_BATCH} events")
    records = []
    for index, event in enumerate(events):
        try:
            name, record = from_json(codec, event)
        except InvalidEvent as exc:
            raise ApiError(422, "invalid_event", str(exc), {"index": index, "field": exc.field}) from None
        if record["shop_id"] != shop:
            raise ApiError(403, "forbidden", "this key cannot publish for another shop", {"index": index})
        topic = TOPIC_OF[name].name
        key = topics.customer_key(shop, record["customer_id"])
        records.append((topic, key, codec.encode(name, record, topic)))
    positions = await produce_all(producer, records)
    return Accepted(accepted=len(records), positions=positions)


async def produce_all(producer: Producer, records: list[tuple[str, bytes, bytes]]) -> list[str]:
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[str]] = []
    try:
        for topic, key, value in records:
            futures.append(loop.create_future())
            producer.produce(topic, value, key, on_delivery=_settle(loop, futures[-1]))
        return list(await asyncio.wait_for(asyncio.gather(*futures), timeout=ACK_TIMEOUT_S))
    except (TimeoutError, BufferError, KafkaException, DeliveryFailed) as exc:
        raise ApiError(503, "kafka_unavailable", f"events not acknowledged by Kafka: {exc}") from None


class DeliveryFailed(Exception):
    pass


def _settle(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[str]
) -> Callable[[KafkaError | None, Message], None]:
    """A delivery callback: it runs on the producer's polling thread, so it hands over to the loop."""

    def resolve(err: KafkaError | None, msg: Message) -> None:
        if future.done():  # the request already timed out
            return
        if err is not None:
            future.set_exception(DeliveryFailed(str(err)))
        else:
            future.set_result(f"{msg.topic()}:{msg.partition()}:{msg.offset()}")

    def done(err: KafkaError | None, msg: Message) -> None:
        loop.call_soon_threadsafe(resolve, err, msg)

    return done
