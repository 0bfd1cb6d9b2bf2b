"""The ceiling: a raw confluent-kafka transactional consume-produce loop with no logic at all.

`python -m tests.bench.ceiling --count N` copies N records of shop.orders to loyalty.ledger in
transactions of the same batch size as the services, then exits. Its rate is the most any
exactly-once processor in Python can reach on this broker and machine. It prints, as JSON, the CPU it
used from its first committed transaction to its last, over the records copied in between.
"""

from __future__ import annotations

import argparse
import json

from confluent_kafka import TopicPartition

from services.common import kafka, topics
from tests.bench import figures, procstat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    consumer = kafka.consumer(topics.ORDERS.name + ".ceiling")
    producer = kafka.producer(topics.ORDERS.name + ".ceiling-tx")
    producer.init_transactions(30)
    consumer.subscribe([topics.ORDERS.name])
    done, first_done, first_cpu = 0, 0, 0.0
    while done < args.count:
        batch = [m for m in consumer.consume(args.batch_size, 0.05) if m.error() is None]
        if not batch:
            continue
        producer.begin_transaction()
        offsets: dict[int, int] = {}
        for msg in batch:
            producer.produce(topics.LEDGER.name, msg.value(), msg.key())
            offsets[msg.partition() or 0] = (msg.offset() or 0) + 1
        producer.send_offsets_to_transaction(
            [TopicPartition(topics.ORDERS.name, p, o) for p, o in offsets.items()],
            consumer.consumer_group_metadata(),
        )
        producer.commit_transaction()
        done += len(batch)
        if not first_done:
            first_done, first_cpu = done, procstat.own_cpu_seconds()
    cpu = procstat.own_cpu_seconds() - first_cpu
    consumer.close()
    measured = done - first_done
    print(json.dumps({"measured_work": measured, "cpu_s": cpu,
                      "cpu_us_per_event": figures.per_event_us(cpu, measured)}))  # fmt: skip


if __name__ == "__main__":
    main()
