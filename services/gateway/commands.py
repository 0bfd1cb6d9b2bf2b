"""Redemption and account commands onto loyalty.redemption-requests, keyed by the customer they are about.

Each command's `event_id` is derived from the id it carries (the redemption, adjustment or
transfer id), so sending the same command again is a duplicate the redeem service ignores. A
command whose caller chose no id takes one from its `Idempotency-Key` (`command_id`): a retry after
an answer that never came, or a 503 whose outcome was unknown, is then the same command, not a
second one. Without the header each request is a new command.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from confluent_kafka import Producer
from fastapi import Depends, Request

from services.common import topics
from services.common.codec import Codec
from services.gateway.idempotency import CLAIM
from services.gateway.publish import produce_all
from services.gateway.tables.idempotency import Claim
from services.ids import derived_id


def event_id(shop_id: str, kind: str, command_id: str) -> str:
    return derived_id(shop_id, kind, command_id)


def new_id() -> str:
    return uuid.uuid4().hex


async def command_id(request: Request) -> str:
    """The id of a command the caller named none for: from the request's idempotency claim (its owner, key
    and request, so another request under the key, after the key expired, is another command); else new.
    A coroutine, so FastAPI does not hand it to a worker thread."""
    claim = request.scope.get("state", {}).get(CLAIM)
    if not isinstance(claim, Claim):
        return new_id()
    return derived_id(claim.credential, claim.key, claim.fingerprint)


CommandIdDep = Annotated[str, Depends(command_id)]


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
