"""The private brokers the tests start: their cluster ids are ones Kafka's storage tool takes."""

from __future__ import annotations

import base64

from tests.servers import new_cluster_id


def test_a_cluster_id_is_sixteen_bytes_of_url_safe_base64_never_starting_like_an_option() -> None:
    for _ in range(2_000):  # about 30 ids in 2,000 would start with '-' if drawn plainly
        found = new_cluster_id()
        assert not found.startswith("-")
        assert len(base64.urlsafe_b64decode(found + "==")) == 16
