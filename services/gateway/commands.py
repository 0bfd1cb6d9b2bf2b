"""Redemption and account commands onto loyalty.redemption-requests, keyed by the customer they are about.

Each command's `event_id` is derived from the id it carries (the redemption, adjustment or
transfer id, whether the caller chose it or not), so sending the same command again is a duplicate
the redeem service ignores. A freeze has no id of its own: each one is new.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Producer

from services.common import topics
from services.common.codec import Codec
from services.gateway.publish import produce_all


def event_id(shop_id: str, kind: str, command_id: str) -> str:
    return hashlib.blake2b(f"{shop_id}\x1f{kind}\x1f{command_id}".encode(), digest_size=16).hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex


def now() -> datetime:
    """The command's event time, at the millisecond the wire keeps."""
    at = datetime.now(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def command(shop_id: str, customer_id: str, event: str, **fields: Any) -> dict[str, Any]:
    """The Avro record of a command: the common fields, then its own."""
    return {"event_id": event, "shop_id": shop_id, "customer_id": customer_id, "occurred_at": now(), **fields}


async def publish(producer: Producer, codec: Codec, name: str, record: dict[str, Any]) -> str:
    """Onto loyalty.redemption-requests once the broker has it; its `topic:partition:offset` (503 if not)."""
    topic = topics.REDEMPTION_REQUESTS.name
    key = topics.customer_key(record["shop_id"], record["customer_id"])
    [position] = await produce_all(producer, [(topic, key, codec.encode(name, record, topic))])
    return position
