"""The ceiling: a raw confluent-kafka transactional consume-produce loop with no logic at all.

`python -m tests.bench.ceiling --count N` copies N records of shop.orders to loyalty.ledger in
transactions of the same batch size as the services, then exits. Its rate is the most any
exactly-once processor in Python can reach on this broker and machine.
"""

from __future__ import annotations

import argparse

from confluent_kafka import TopicPartition

from services.common import kafka, topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    consumer = kafka.consumer(topics.ORDERS.name + ".ceiling")
    producer = kafka.producer(topics.ORDERS.name + ".ceiling-tx")
    producer.init_transactions(30)
    consumer.subscribe([topics.ORDERS.name])
    done = 0
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
    consumer.close()


if __name__ == "__main__":
    main()
