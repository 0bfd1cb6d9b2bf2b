"""What one record may weigh: the broker's limit for outputs and dead letters, a bound for state.

An output heavier than its topic takes (the producer's `message.max.bytes`, or the topic's own
`max.message.bytes` when smaller, less a record's framing) would make the whole transaction fail
at commit, and the retry fail again: the partition would stop. Checked before producing, it is the
fault of the input record that made it, which is dead-lettered. Per-customer state is bounded well
below that (MAX_STATE_BYTES), so that a changelog write always fits and a restore stays quick.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.common import kafka


class TooLarge(ValueError):
    """An output or a state value of one record is beyond its bound: that record is dead-lettered."""


class Sizes:
    def __init__(self, admin: Any, max_state_bytes: int, producer_max_bytes: int = kafka.MESSAGE_MAX_BYTES) -> None:
        self._admin, self.max_state_bytes, self.producer_max_bytes = admin, max_state_bytes, producer_max_bytes
        self._limits: dict[str, int] = {}

    def record_limit(self, topic: str) -> int:
        """Bytes of key and value a record of `topic` may have (asks the broker once per topic)."""
        if (limit := self._limits.get(topic)) is None:
            limit = min(self.producer_max_bytes, kafka.topic_max_bytes(self._admin, topic))
            limit = self._limits[topic] = limit - kafka.RECORD_OVERHEAD_BYTES
        return limit

    def check_output(self, topic: str, name: str, key: bytes, value: bytes) -> None:
        if (size := len(key) + len(value)) > (limit := self.record_limit(topic)):
            raise TooLarge(f"the {name} it makes for {topic} is {size} bytes encoded; {topic} takes {limit}")

    def check_state(self, changelog: str, staged: Mapping[bytes, bytes | None]) -> None:
        """Every value a record stages (None, a deletion, weighs its key alone) within the state bound."""
        limit = min(self.max_state_bytes, self.record_limit(changelog))
        for key, value in staged.items():
            if (size := len(key) + len(value or b"")) > limit:
                raise TooLarge(f"the state {key[:80]!r} would be {size} bytes; the bound is {limit} (MAX_STATE_BYTES)")
