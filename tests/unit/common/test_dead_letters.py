"""A dead letter is always writable: what does not fit the broker's record limit is cut, and said so."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from services.common import dlq
from services.common.codec import Codec

LIMIT = 999_488
codec = Codec()


@dataclass
class Message:
    """The few accessors of a confluent-kafka Message that a dead letter reads."""

    value_: bytes | None
    key_: bytes | None = b"shop:ada"
    topic_: str = "shop.orders"

    def value(self) -> bytes | None:
        return self.value_

    def key(self) -> bytes | None:
        return self.key_

    def topic(self) -> str:
        return self.topic_

    def partition(self) -> int:
        return 3

    def offset(self) -> int:
        return 42


def written_size(msg: Message, exc: Exception) -> tuple[int, dict[str, object]]:
    record = dlq.dead_letter(msg, exc, "earn", LIMIT)  # type: ignore[arg-type]
    return len(codec.encode("DeadLetter", record)) + len(dlq.key(msg)), record  # type: ignore[arg-type]


def test_a_dead_letter_that_fits_keeps_the_original_bytes_and_reason_untouched() -> None:
    size, record = written_size(Message(b"\x00not avro"), ValueError("not Avro"))
    assert size < LIMIT
    assert (record["original_value"], record["original_key"], record["reason"]) == (b"\x00not avro", b"shop:ada",
                                                                                     "not Avro")  # fmt: skip


def test_a_record_near_the_broker_limit_is_dead_lettered_with_what_fits_its_length_and_its_sha256() -> None:
    original = bytes(range(256)) * 3_904  # 999,424 bytes: it fitted on its topic, not with a letter around it
    size, record = written_size(Message(original), ValueError("corrupt Avro body"))
    assert size <= LIMIT
    kept = record["original_value"]
    assert isinstance(kept, bytes)
    assert original.startswith(kept)
    assert len(kept) > 900_000
    reason = str(record["reason"])
    assert reason.startswith("corrupt Avro body [original_value truncated")
    assert f"of {len(original)} bytes (sha256 {hashlib.sha256(original).hexdigest()})" in reason


def test_a_huge_key_and_a_huge_reason_are_cut_too() -> None:
    size, record = written_size(Message(b"v" * 990_000, key_=b"k" * 200_000), KeyError("x" * 500_000))
    assert size <= LIMIT
    assert record["original_key"] == b"k" * dlq.KEY_BYTES
    assert len(dlq.key(Message(None, key_=b"k" * 200_000))) == dlq.KEY_BYTES  # type: ignore[arg-type]
    assert "original_key truncated" in str(record["reason"])
    assert len(str(record["reason"])) < 3 * dlq.REASON_CHARS


@settings(max_examples=40, deadline=None)
@given(
    value=st.one_of(st.none(), st.integers(0, 1_100_000)),
    key=st.one_of(st.none(), st.integers(0, 5_000)),
    reason=st.text(min_size=0, max_size=3_000),
)
def test_any_dead_letter_fits_the_limit_and_is_cut_only_when_it_must_be(
    value: int | None, key: int | None, reason: str
) -> None:
    msg = Message(None if value is None else b"v" * value, None if key is None else b"k" * key)
    size, record = written_size(msg, RuntimeError(reason))
    assert size <= LIMIT
    untouched = record["original_value"] == msg.value() and record["original_key"] == msg.key()
    said_so = "truncated to its first" in str(record["reason"]) and "truncated to its first" not in reason
    assert untouched != said_so
