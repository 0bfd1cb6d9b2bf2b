"""`POST /v1/events`: shop facts over HTTP, validated against the Avro contract, put on Kafka.

All events of a request are validated before any is produced. 202 only once the broker has
acknowledged every record; the answer carries each record's `topic:partition:offset`. If Kafka
fails part-way the answer is 503 and some events may be on Kafka: sending them again is safe,
since duplicates (same `event_id`) are ignored downstream.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from services.common import topics
from services.common.jsonio import InvalidEvent
from services.gateway.deps import CodecDep, ProducerDep, ShopDep
from services.gateway.errors import ApiError
from services.gateway.inputs import TOPIC_OF, from_json
from services.gateway.publish import produce_all
from services.gateway.responses import Accepted, errors

router = APIRouter(prefix="/v1", tags=["events"])
ORDER_PAID = {
    "type": "OrderPaid", "event_id": "e-41", "shop_id": "demo", "customer_id": "c-1001",
    "occurred_at": "2026-11-20T10:00:00Z", "order_id": "o-41", "currency": "USD", "total_minor": 12345,
    "lines": [{"sku": "tea-01", "category": "grocery", "quantity": 1, "unit_price_minor": 12345}],
}  # fmt: skip
REFUND = {
    "type": "OrderRefunded", "event_id": "e-42", "shop_id": "demo", "customer_id": "c-1001",
    "occurred_at": "2026-11-22T09:00:00Z", "order_id": "o-41", "refund_id": "rf-1", "amount_minor": 5000,
}  # fmt: skip
TASK = {
    "type": "TaskCompleted", "event_id": "e-43", "shop_id": "demo", "customer_id": "c-1001",
    "occurred_at": "2026-11-22T09:05:00Z", "task": "review", "ref": "tea-01",
}  # fmt: skip
MAX_BATCH = 1000
EventsBody = Annotated[
    dict[str, Any] | list[dict[str, Any]],
    Body(
        description=f"one event or an array, each a JSON object with a `type` field: {', '.join(TOPIC_OF)}",
        openapi_examples={
            "order": {"summary": "an order paid", "value": ORDER_PAID},
            "batch": {"summary": "a refund and a task, in one request", "value": [REFUND, TASK]},
        },
    ),
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
