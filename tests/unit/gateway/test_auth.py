"""Shop and admin keys: which shop a bearer key acts for, and which requests are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.common.settings import settings
from services.gateway.auth import current_admin, current_reader, parse_keys, shop_for
from services.gateway.errors import ApiError
from services.gateway.settings import GatewaySettings, gateway_settings

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


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SHOP_API_KEYS", "north:n-key")
    monkeypatch.setenv("ADMIN_API_KEYS", "north:n-admin")
    settings.cache_clear()
    gateway_settings.cache_clear()
    yield
    settings.cache_clear()
    gateway_settings.cache_clear()


def test_an_admin_key_administers_its_shop_under_a_fingerprint_not_the_key(configured: None) -> None:
    admin = current_admin("Bearer n-admin")
    assert admin.shop == "north"
    assert admin.actor.startswith("admin-key:")
    assert "n-admin" not in admin.actor
    assert admin.actor == current_admin("bearer n-admin").actor


def test_a_shop_key_on_an_admin_route_is_forbidden_and_no_key_is_unauthenticated(configured: None) -> None:
    with pytest.raises(ApiError) as shop_key:
        current_admin("Bearer n-key")
    assert (shop_key.value.status, shop_key.value.code) == (403, "forbidden")
    for header in (None, "Bearer nope", "Basic n-admin"):
        with pytest.raises(ApiError) as unknown:
            current_admin(header)
        assert unknown.value.status == 401


def test_the_program_may_be_read_with_an_admin_or_a_shop_key(configured: None) -> None:
    assert current_reader("Bearer n-admin") == current_reader("Bearer n-key") == "north"
    with pytest.raises(ApiError):
        current_reader("Bearer nope")


def test_admin_keys_default_to_the_demo_shops() -> None:
    assert GatewaySettings().admin_api_keys == "demo:demo-admin-key"
