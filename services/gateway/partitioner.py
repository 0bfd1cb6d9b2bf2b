"""Kafka's default (Java client) key partitioner, so the gateway knows a customer's ledger partition.

librdkafka's `murmur2_random` places keyed records exactly like this; confluent-kafka does not
expose the hash, hence this port of `org.apache.kafka.common.utils.Utils.murmur2`. Pure.
"""

from __future__ import annotations

SEED = 0x9747B28C
M = 0x5BD1E995
MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """The 32-bit murmur2 hash as Java's `Utils.murmur2` returns it: a signed int."""
    length = len(data)
    h = (SEED ^ length) & MASK
    body = length - length % 4
    for i in range(0, body, 4):
        k = (int.from_bytes(data[i : i + 4], "little") * M) & MASK
        k ^= k >> 24
        h = ((h * M) & MASK) ^ ((k * M) & MASK)
    tail = length - body
    if tail == 3:
        h ^= data[body + 2] << 16
    if tail >= 2:
        h ^= data[body + 1] << 8
    if tail >= 1:
        h = ((h ^ data[body]) * M) & MASK
    h ^= h >> 13
    h = (h * M) & MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition(key: bytes, partitions: int) -> int:
    """`Utils.toPositive(Utils.murmur2(key)) % numPartitions`, as the Java client's default partitioner."""
    if partitions < 1:
        raise ValueError("a topic has at least one partition")
    return (murmur2(key) & 0x7FFFFFFF) % partitions
