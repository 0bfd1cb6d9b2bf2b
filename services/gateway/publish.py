"""Records onto Kafka from a request: answered only once the broker has acknowledged every one.

The app's producer is idempotent with acks=all; its delivery callbacks run on the polling thread
(`app.poll_deliveries`) and hand each result over to the request's event loop. It gives up on a
record (`message.timeout.ms`, the request in flight included) before a request stops waiting for
it, so once the gateway answers, no record of the request can still reach Kafka later: a 503 means
the records may or may not be there, and a retry with the same Idempotency-Key is the same command.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from services.common import topics
from services.gateway.errors import ApiError

ACK_TIMEOUT_S = 30
"""How long a request waits for the broker's acknowledgement of its records."""
GIVE_UP_MARGIN_S = 5
"""How much sooner the producer gives up on a record than the request stops waiting for it."""


class DeliveryFailed(Exception):
    pass


async def produce_all(producer: Producer, records: list[tuple[str, bytes, bytes]]) -> list[str]:
    """(topic, key, value) records -> their `topic:partition:offset`, in order; 503 if Kafka does not ack."""
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[str]] = []
    try:
        for topic, key, value in records:
            topics.check_writes("gateway", topic)
            futures.append(loop.create_future())
            producer.produce(topic, value, key, on_delivery=_resolver(loop, futures[-1]))
        return list(await asyncio.wait_for(asyncio.gather(*futures), timeout=ACK_TIMEOUT_S))
    except (TimeoutError, BufferError, KafkaException, DeliveryFailed) as exc:
        raise unacknowledged(str(exc) or "timed out") from None


def unacknowledged(why: str) -> ApiError:
    message = (f"not acknowledged by Kafka ({why}): the write may or may not have been taken; send it again "
               "with the same Idempotency-Key and it is taken once")  # fmt: skip
    return ApiError(503, "kafka_unavailable", message, headers={"Retry-After": "1"})


def producer_settings() -> dict[str, Any]:
    """What the app's producer adds to the shared configuration: it gives up before the request does."""
    return {"message.timeout.ms": int((ACK_TIMEOUT_S - GIVE_UP_MARGIN_S) * 1000)}


def _resolver(
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
