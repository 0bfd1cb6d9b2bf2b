"""Demo traffic: `python -m services.loadgen --rate 20` publishes a live shop's events forever.

Orders, tasks, refunds of earlier orders, redemptions and profile updates, for three shops and "demo", which
runs the rule-heavy program and a small catalog (published as their version 1 at start).

A few events are deliberately bad (garbage bytes, a negative total) so the dead-letter path is
visible in a demo; the share is set with --bad-rate.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from datetime import UTC, datetime

from prometheus_client import Counter, start_http_server

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.logs import configure_logging
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--bad-rate", type=float, default=0.002, help="share of malformed events")
    parser.add_argument("--metrics-port", type=int, default=9109)
    args = parser.parse_args()
    configure_logging("loadgen")
    if args.metrics_port:
        start_http_server(args.metrics_port, addr="127.0.0.1")
    codec, producer, rng = Codec(), kafka.producer(), random.Random()
    publish_program(["demo"], DEMO)
    publish_catalog("demo", DEMO_CATALOG)
    log.info("publishing about %.1f events/s", args.rate)
    started = time.monotonic()
    traffic = mixed(10**12, seed=int(time.time()), shops=3, customers=200, start=datetime.now(UTC))
    for i, (name, key, record) in enumerate(traffic):
        topic = TOPICS[name]
        if rng.random() < args.bad_rate:
            producer.produce(topic.name, b"\x00not avro", key)
            PUBLISHED.labels("malformed").inc()
        else:
            if record["shop_id"] == "shop-0":
                record["shop_id"] = "demo"
            record["occurred_at"] = datetime.now(UTC)  # a live demo happens now
            key = topics.customer_key(record["shop_id"], record["customer_id"])
            producer.produce(topic.name, codec.encode(name, record), key)
            PUBLISHED.labels(name).inc()
        producer.poll(0)
        if (ahead := (i + 1) / args.rate - (time.monotonic() - started)) > 0:
            time.sleep(ahead)


if __name__ == "__main__":
    main()
