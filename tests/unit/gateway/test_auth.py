"""Keys and scopes: which shop and scopes a bearer value acts with, and which routes refuse it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.settings import settings
from services.gateway.apikeys import ADMIN_KEY_SCOPES, SHOP_KEY_SCOPES, ApiKey, StoredKeys, configured, digest, generate
from services.gateway.auth import (
    administrator,
    catalog_reader,
    for_customer,
    publisher,
    reader,
    redeemer,
    redemption_reader,
    transfer_sender,
)  # fmt: skip
from services.gateway.authentication import client_address
from services.gateway.credentials import Credential, bearer, identify
from services.gateway.errors import ApiError
from services.gateway.settings import GatewaySettings, gateway_settings
from services.gateway.tokens import issue

STORED = {
    digest("psk_0123456789ab_live"): ApiKey("0123456789ab", "north", frozenset({"read"}), "storefront"),
    digest("psk_ba9876543210_gone"): ApiKey(
        "ba9876543210", "north", frozenset({"admin"}), revoked_at=datetime(2026, 5, 1, tzinfo=UTC)
    ),
}  # fmt: skip
SECRET = "n" * 64


async def stored(key_sha256: str) -> ApiKey | None:
    return STORED.get(key_sha256)


def credential(presented: str, now: float = 1_800_000_000) -> Credential:
    return asyncio.run(identify(presented, now, stored))


def refused(presented: str) -> ApiError:
    with pytest.raises(ApiError) as refusal:
        credential(presented)
    return refusal.value


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SHOP_API_KEYS", "north:n-key,south:s-key")
    monkeypatch.setenv("ADMIN_API_KEYS", "north:n-admin")
    monkeypatch.setenv("SHOP_SECRETS", f"north:{SECRET}")
    settings.cache_clear()
    gateway_settings.cache_clear()
    yield
    settings.cache_clear()
    gateway_settings.cache_clear()


def test_configured_keys_are_held_as_digests_with_the_scopes_of_their_kind() -> None:
    keys = configured("north:n-key, south:s-key,broken,:orphan,empty:", "north:n-admin")
    assert set(keys) == {digest("n-key"), digest("s-key"), digest("n-admin")}
    assert "n-key" not in repr(keys)
    assert (keys[digest("n-key")].shop_id, keys[digest("n-key")].scopes) == ("north", SHOP_KEY_SCOPES)
    assert keys[digest("n-admin")].scopes == ADMIN_KEY_SCOPES


def test_a_key_configured_for_two_shops_acts_for_neither_and_one_listed_as_both_kinds_has_both_scopes() -> None:
    assert configured("north:same,south:same", "") == {}
    assert configured("north:k", "north:k")[digest("k")].scopes == SHOP_KEY_SCOPES | ADMIN_KEY_SCOPES


def test_a_generated_key_names_its_id_and_is_new_each_time() -> None:
    key_id, key = generate()
    assert key.startswith(f"psk_{key_id}_")
    assert len(key) > 40
    assert generate()[1] != key


def test_environment_and_stored_keys_act_for_their_shop_under_an_id_never_the_key() -> None:
    shop_key, admin_key, stored_key = credential("n-key"), credential("n-admin"), credential("psk_0123456789ab_live")
    assert (shop_key.shop, shop_key.scopes, shop_key.actor) == (
        "north",
        SHOP_KEY_SCOPES,
        f"shop-key:{digest('n-key')[:12]}",
    )
    assert (admin_key.shop, admin_key.actor) == ("north", f"admin-key:{digest('n-admin')[:12]}")
    assert (stored_key.shop, stored_key.actor) == ("north", "shop-key:0123456789ab")
    assert stored_key.scopes == {"read"}


@pytest.mark.parametrize("presented", ["wrong", "n-ke", "n-key2", "psk_ba9876543210_gone", "psk_0123456789ab_lives"])
def test_an_unknown_or_revoked_key_is_unauthenticated(presented: str) -> None:
    refusal = refused(presented)
    assert (refusal.status, refusal.headers) == (401, {"WWW-Authenticate": "Bearer"})


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic n-key", "n-key"])
def test_a_header_without_a_bearer_value_names_nothing(header: str | None) -> None:
    assert bearer(header) is None
    assert bearer("bearer  n-key ") == "n-key"


def test_a_customer_token_acts_for_its_customer_only_and_an_expired_one_is_unauthenticated() -> None:
    token, expires_at = issue("north", "ada", SECRET, 1_800_000_000, 600)
    ada = credential(token)
    assert (ada.shop, ada.customer_id, ada.scopes, ada.who) == ("north", "ada", frozenset(), "customer:north:ada")
    with pytest.raises(ApiError) as expired:
        credential(token, now=expires_at)
    assert (expired.value.status, expired.value.message) == (401, "the customer token has expired")


def test_each_route_takes_the_scope_it_needs_and_refuses_the_others_with_a_403() -> None:
    shop_key, admin_key = credential("n-key"), credential("n-admin")
    read_only = credential("psk_0123456789ab_live")
    assert publisher(shop_key) == reader(shop_key) == reader(admin_key) == reader(read_only) == "north"
    assert administrator(admin_key).actor == admin_key.actor
    assert transfer_sender(shop_key).shop == transfer_sender(admin_key).shop == "north"
    for route, key in ((administrator, shop_key), (publisher, admin_key), (publisher, read_only),
                       (transfer_sender, read_only), (redeemer, read_only)):  # fmt: skip
        with pytest.raises(ApiError) as refusal:
            route(key)
        assert (refusal.value.status, refusal.value.code) == (403, "forbidden")


def test_a_customer_token_reads_the_catalog_and_its_redemptions_and_redeems_for_itself_only() -> None:
    ada = credential(issue("north", "ada", SECRET, 1_800_000_000, 600)[0])
    assert catalog_reader(ada) == "north"
    assert redemption_reader(ada) is ada
    assert redeemer(ada) is ada
    assert for_customer(ada, "ada") == "north"
    for refuse in (lambda: for_customer(ada, "bo"), lambda: reader(ada), lambda: administrator(ada),
                   lambda: publisher(ada), lambda: transfer_sender(ada)):  # fmt: skip
        with pytest.raises(ApiError) as refusal:
            refuse()
        assert refusal.value.status == 403


def test_stored_keys_are_read_once_per_interval_and_a_revocation_here_is_forgotten_at_once() -> None:
    reads: list[str] = []

    async def lookup(key_sha256: str) -> ApiKey | None:
        reads.append(key_sha256)
        return STORED.get(key_sha256)

    cache, live = StoredKeys(ttl=15), digest("psk_0123456789ab_live")
    found = [asyncio.run(cache.find(live, now, lookup)) for now in (0.0, 14.9, 15.0)]
    assert found == [STORED[live]] * 3
    assert reads == [live, live]
    asyncio.run(cache.find("unknown", 0.0, lookup))
    asyncio.run(cache.find("unknown", 1.0, lookup))
    assert reads.count("unknown") == 1
    cache.forget("0123456789ab")
    asyncio.run(cache.find(live, 16.0, lookup))
    assert reads.count(live) == 3


def test_the_defaults_are_no_admin_key_an_hour_long_token_and_100_requests_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ADMIN_API_KEYS", raising=False)
    defaults = GatewaySettings()
    assert defaults.admin_api_keys == ""
    assert (defaults.customer_token_max_seconds, defaults.rate_limit_per_second, defaults.rate_limit_burst) == (
        3600, 100, 200,
    )  # fmt: skip


def test_a_flood_of_unknown_keys_never_pushes_a_known_key_out_of_the_cache() -> None:
    reads: list[str] = []

    async def lookup(key_sha256: str) -> ApiKey | None:
        reads.append(key_sha256)
        return STORED.get(key_sha256)

    cache, live = StoredKeys(ttl=15, capacity=10, unknown_capacity=5), digest("psk_0123456789ab_live")
    asyncio.run(cache.find(live, 0.0, lookup))
    for number in range(100):
        assert asyncio.run(cache.find(digest(f"invented-{number}"), 1.0, lookup)) is None
    assert asyncio.run(cache.find(live, 2.0, lookup)) == STORED[live]
    assert reads.count(live) == 1
    assert (len(cache.known), len(cache.unknown)) == (1, 5)


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 30)), max_size=200), st.integers(1, 8), st.integers(1, 8))
def test_the_cache_never_holds_more_answers_than_its_capacities(
    found: list[tuple[bool, int]], capacity: int, unknown_capacity: int
) -> None:
    async def lookup(key_sha256: str) -> ApiKey | None:
        return ApiKey(key_sha256[:12], "north", frozenset({"read"})) if key_sha256.startswith("k") else None

    cache = StoredKeys(ttl=15, capacity=capacity, unknown_capacity=unknown_capacity)
    for now, (known, number) in enumerate(found):
        asyncio.run(cache.find(f"{'k' if known else 'u'}{number}", float(now), lookup))
        assert len(cache.known) <= capacity
        assert len(cache.unknown) <= unknown_capacity


@pytest.mark.parametrize(
    ("peer", "address"),
    [(("10.0.0.7", 1), "10.0.0.7"), (("2001:db8:1:2:3::9", 1), "2001:db8:1:2::/64"),
     (("::ffff:10.1.2.3", 1), "10.1.2.3"), (("testclient", 1), "testclient"), (None, "unknown")],
)  # fmt: skip
def test_failures_count_per_client_address_an_ipv6_one_by_its_64_block(peer: object, address: str) -> None:
    assert client_address({"client": peer}) == address
