"""Shop keys: which shop a bearer key acts for, and which requests are refused."""

from __future__ import annotations

import pytest

from services.gateway.auth import parse_keys, shop_for

KEYS = parse_keys("north:n-key, south:s-key,broken,:orphan,empty:")


def test_a_shop_key_acts_for_its_own_shop() -> None:
    assert shop_for("Bearer n-key", KEYS) == "north"
    assert shop_for("bearer s-key", KEYS) == "south"


def test_malformed_pairs_in_the_configuration_grant_nothing() -> None:
    assert KEYS == (("north", b"n-key"), ("south", b"s-key"))


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic n-key", "n-key", "Bearer wrong", "Bearer n-ke", "Bearer n-key2"]
)
def test_a_request_without_a_known_shop_key_is_unauthenticated(header: str | None) -> None:
    assert shop_for(header, KEYS) is None


def test_an_empty_configured_key_never_matches() -> None:
    assert shop_for("Bearer ", parse_keys("shop:")) is None
