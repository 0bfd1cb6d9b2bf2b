"""The events the gateway accepts over HTTP and the topic each goes to; JSON is read by
`services.common.jsonio.from_json` (schema defaults, ISO 8601 or epoch-millis timestamps, no
unknown fields, validation naming the field)."""

from __future__ import annotations

from services.common import topics
from services.common.jsonio import from_json
from services.common.topics import Topic

TOPIC_OF: dict[str, Topic] = {
    "OrderPaid": topics.ORDERS,
    "OrderRefunded": topics.ORDERS,
    "TaskCompleted": topics.TASKS,
    "RedemptionRequested": topics.REDEMPTION_REQUESTS,
    "CustomerUpdated": topics.CUSTOMERS,
}

__all__ = ["TOPIC_OF", "from_json"]
