"""The clock of expiry (decision 0002): an `ExpiryTick` with the wall-clock time on every partition
of redeem.expiry-ticks, at a fixed interval, so the step that reads it expires that partition's due
lots, in the log and replayable, also for customers who never come back. Only the redeem service
writes that topic: a tick anyone could write would expire every lot of a partition."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from confluent_kafka import Producer

from services.common import topics
from services.common.codec import Codec

log = logging.getLogger(__name__)

TICK_KEY = b"\x00tick"
"""Ticks are addressed to partitions, not customers: the step recognises them by record name. Ticks of
earlier versions, on loyalty.redemption-requests, carry it too."""


def publish(producer: Producer, codec: Codec, partitions: int, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    name = topics.EXPIRY_TICKS.name
    for partition in range(partitions):
        value = codec.encode("ExpiryTick", {"partition": partition, "now": now}, name)
        producer.produce(name, value, TICK_KEY, partition=partition)
    producer.flush(10)


class Ticker(threading.Thread):
    """Publishes ticks every `interval_s` seconds until stopped."""

    def __init__(self, producer: Producer, partitions: int, interval_s: float) -> None:
        super().__init__(name="expiry-ticker", daemon=True)
        self._producer, self._codec = producer, Codec()
        self._partitions, self._interval_s = partitions, interval_s
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._interval_s):
            try:
                publish(self._producer, self._codec, self._partitions)
            except Exception:  # a missed tick only delays expiry to the next one
                log.exception("expiry tick not published; the next one will expire what is due")

    def stop(self) -> None:
        self._stopped.set()
