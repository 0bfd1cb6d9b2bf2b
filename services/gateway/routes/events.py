"""`POST /v1/events`: shop facts over HTTP, validated against the Avro contract, put on Kafka.

202 only once the broker has acknowledged every record; the answer carries each record's
position (`topic:partition:offset`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from services.common import topics
from services.common.codec import Codec
from services.common.jsonio import InvalidEvent, from_json
from services.gateway.auth import ShopDep
from services.gateway.errors import ApiError

router = APIRouter(prefix="/v1", tags=["events"])
TOPIC_OF = {
    "OrderPaid": topics.ORDERS,
    "OrderRefunded": topics.ORDERS,
    "TaskCompleted": topics.TASKS,
    "RedemptionRequested": topics.REDEMPTION_REQUESTS,
}
MAX_BATCH = 1000


@router.post("/events", status_code=202)
async def publish(request: Request, shop: ShopDep, payload: Any = Body(...)) -> JSONResponse:  # noqa: B008
    events = payload if isinstance(payload, list) else [payload]
    if not 1 <= len(events) <= MAX_BATCH:
        raise ApiError(400, "invalid_batch", f"send between 1 and {MAX_BATCH} events")
    codec: Codec = request.app.state.codec
    records = []
    for index, event in enumerate(events):
        try:
            name, record = from_json(codec, event)
        except InvalidEvent as exc:
            raise ApiError(422, "invalid_event", str(exc), {"index": index, "field": exc.field}) from None
        if record["shop_id"] != shop:
            raise ApiError(403, "forbidden", "this key cannot publish for another shop", {"index": index})
        records.append(
            (TOPIC_OF[name].name, topics.customer_key(shop, record["customer_id"]), codec.encode(name, record))
        )
    positions = await produce_all(request.app.state.producer, records)
    return JSONResponse({"accepted": len(records), "positions": positions}, status_code=202)


async def produce_all(producer: Producer, records: list[tuple[str, bytes, bytes]]) -> list[str]:
    loop = asyncio.get_running_loop()
    futures = []
    for topic, key, value in records:
        future: asyncio.Future[str] = loop.create_future()
        producer.produce(topic, value, key, on_delivery=_settle(loop, future))
        futures.append(future)
    try:
        return list(await asyncio.wait_for(asyncio.gather(*futures), timeout=30))
    except (TimeoutError, KafkaDeliveryError) as exc:
        raise ApiError(503, "kafka_unavailable", f"events not acknowledged by Kafka: {exc}") from None


class KafkaDeliveryError(Exception):
    pass


def _settle(loop: asyncio.AbstractEventLoop, future: asyncio.Future[str]) -> Any:
    def done(err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            loop.call_soon_threadsafe(future.set_exception, KafkaDeliveryError(str(err)))
        else:
            loop.call_soon_threadsafe(future.set_result, f"{msg.topic()}:{msg.partition()}:{msg.offset()}")

    return done
