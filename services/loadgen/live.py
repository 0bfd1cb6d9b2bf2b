"""Live demo traffic: a shop's events published at a steady rate, for `make run` and `pointstream loadgen`.

Orders, tasks, refunds of earlier orders, redemptions and profile updates, for three shops and "demo", which
runs the rule-heavy program and a small catalog (published as their version 1 at start). A few events are
deliberately bad (garbage bytes) so the dead-letter path is visible; their share is `bad_rate`.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Producer
from prometheus_client import Counter
from tqdm import tqdm

from services.common import kafka, topics
from services.common.codec import Codec
from services.loadgen.program import DEMO, DEMO_CATALOG, publish_catalog
from services.loadgen.program import publish as publish_program
from services.loadgen.traffic import mixed

PUBLISHED = Counter("pointstream_loadgen_published_total", "Demo events published", ["kind"])
log = logging.getLogger("loadgen")
TOPICS = {
    "OrderPaid": topics.ORDERS,
    "OrderRefunded": topics.ORDERS,
    "TaskCompleted": topics.TASKS,
    "CustomerUpdated": topics.CUSTOMERS,
    "RedemptionRequested": topics.REDEMPTION_REQUESTS,
}


def run(
    rate: float, duration: float | None = None, seed: int | None = None, bad_rate: float = 0.002, progress: bool = False
) -> int:
    """Publishes about `rate` events/s for `duration` seconds (forever if None); answers how many it published."""
    seed = int(time.time()) if seed is None else seed
    codec, producer, rng = Codec(), kafka.producer(), random.Random(seed)
    publish_program(["demo"], DEMO)
    publish_catalog("demo", DEMO_CATALOG)
    log.info("publishing about %.1f events/s (seed %d)", rate, seed)
    total = None if duration is None else int(rate * duration)
    traffic = mixed(10**12 if total is None else total, seed=seed, shops=3, customers=200, start=datetime.now(UTC))
    started, published = time.monotonic(), 0
    with tqdm(total=total, unit="event", desc="loadgen", disable=not progress, dynamic_ncols=True) as bar:
        for name, key, record in traffic:
            if rng.random() < bad_rate:
                producer.produce(TOPICS[name].name, b"\x00not avro", key)
                PUBLISHED.labels("malformed").inc()
            else:
                _publish(producer, codec, name, record)
            producer.poll(0)
            published += 1
            bar.update()
            if (ahead := published / rate - (time.monotonic() - started)) > 0:
                time.sleep(ahead)
    producer.flush(30)
    return published


def _publish(producer: Producer, codec: Codec, name: str, record: dict[str, Any]) -> None:
    if record["shop_id"] == "shop-0":
        record["shop_id"] = "demo"
    record["occurred_at"] = datetime.now(UTC)  # a live demo happens now
    key = topics.customer_key(record["shop_id"], record["customer_id"])
    producer.produce(TOPICS[name].name, codec.encode(name, record), key)
    PUBLISHED.labels(name).inc()
