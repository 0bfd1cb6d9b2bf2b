"""The Java client's murmur2 partitioner, checked against Kafka's own test vectors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.partitioner import murmur2, partition

# org.apache.kafka.common.utils.UtilsTest#testMurmur2
KAFKA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize(("key", "expected"), KAFKA_VECTORS.items())
def test_murmur2_gives_what_kafkas_java_client_gives(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


def test_the_partition_is_the_positive_hash_modulo_the_partition_count() -> None:
    assert murmur2(b"21") & 0x7FFFFFFF == 1173551340
    assert partition(b"21", 6) == 1173551340 % 6


@given(st.binary(max_size=64), st.integers(1, 500))
def test_every_key_lands_in_a_partition_of_the_topic(key: bytes, partitions: int) -> None:
    assert 0 <= partition(key, partitions) < partitions
    assert -(2**31) <= murmur2(key) < 2**31


def test_a_topic_without_partitions_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one partition"):
        partition(b"shop:ada", 0)
