"""No credential has a default: services refuse the demo's, placeholders and none, unless told it is the demo."""

from __future__ import annotations

import subprocess
import sys

import pytest

from services.common.credential_check import WeakCredentials, faults, refuse_weak_credentials
from services.common.settings import Settings
from services.gateway.settings import GatewaySettings

STRONG_SECRET = "k3Jr8Qw0pLx2Vb7Nc5Mz9Ty4Hs1Gd6Fa"
STRONG_KEY = "psk_7Hq2Lm9Xv4Rb8Tn3Ws"
DEPLOYED = {
    "SHOP_SECRETS": f"north:{STRONG_SECRET}",
    "SHOP_API_KEYS": f"north:{STRONG_KEY}",
    "DATABASE_URL": "postgresql://loyalty:Zq8vN2rT5wYx@db.internal:5432/loyalty",
}
VARIABLES = ("SHOP_SECRETS", "SHOP_API_KEYS", "ADMIN_API_KEYS", "DATABASE_URL", "ALLOW_DEMO_CREDENTIALS")


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("bare_environment")
def test_no_key_secret_or_database_has_a_default() -> None:
    configured, gateway = Settings(), GatewaySettings()
    assert (configured.shop_api_keys, configured.shop_secrets, configured.database_url) == ("", "", "")
    assert gateway.admin_api_keys == ""
    assert configured.allow_demo_credentials is False


@pytest.mark.usefixtures("bare_environment")
def test_a_service_with_no_secret_and_no_database_refuses_to_start() -> None:
    with pytest.raises(WeakCredentials) as refused:
        refuse_weak_credentials("the gateway", Settings())
    assert "SHOP_SECRETS is empty" in str(refused.value)
    assert "DATABASE_URL is not set" in str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SHOP_API_KEYS", "demo:demo-shop-key"),
        ("SHOP_SECRETS", "north:demo-shop-secret"),
        ("SHOP_SECRETS", "north:CHANGE-ME"),
        ("SHOP_SECRETS", "north:short-secret"),
        ("SHOP_API_KEYS", "north:tiny"),
        ("DATABASE_URL", "postgresql://pointstream:pointstream@127.0.0.1:5433/pointstream"),
    ],
)
@pytest.mark.usefixtures("bare_environment")
def test_the_demo_values_placeholders_and_short_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    for name, deployed in (DEPLOYED | {variable: value}).items():
        monkeypatch.setenv(name, deployed)
    found = faults(Settings())
    assert len(found) == 1
    assert variable in found[0]
    assert value.split(":")[-1] not in found[0] or variable == "DATABASE_URL"  # a secret is never echoed


@pytest.mark.usefixtures("bare_environment")
def test_the_demo_admin_key_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEPLOYED.items():
        monkeypatch.setenv(name, value)
    assert faults(Settings(), admin_keys="demo:demo-admin-key") == [
        "ADMIN_API_KEYS: the value for shop 'demo' is a demo value or a placeholder"
    ]


@pytest.mark.usefixtures("bare_environment")
def test_a_shopify_webhook_secret_is_held_to_the_same_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEPLOYED.items():
        monkeypatch.setenv(name, value)
    assert faults(Settings(), webhook_secrets="north:CHANGE-ME") == [
        "SHOPIFY_WEBHOOK_SECRETS: the value for shop 'north' is a demo value or a placeholder"
    ]


@pytest.mark.usefixtures("bare_environment")
def test_a_deployment_with_its_own_strong_credentials_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEPLOYED.items():
        monkeypatch.setenv(name, value)
    refuse_weak_credentials("the gateway", Settings(), admin_keys=f"north:{STRONG_KEY}admin")


@pytest.mark.usefixtures("bare_environment")
def test_the_demo_flag_lets_the_demo_credentials_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOW_DEMO_CREDENTIALS", "true")
    monkeypatch.setenv("SHOP_SECRETS", "demo:demo-shop-secret")
    refuse_weak_credentials("redeem", Settings())


def test_the_gateway_process_exits_at_start_without_credentials() -> None:
    env = {"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    done = subprocess.run([sys.executable, "-m", "services.gateway"], env=env, capture_output=True, timeout=60)
    assert done.returncode != 0
    assert b"refuses to start" in done.stderr
    assert b"SHOP_SECRETS is empty" in done.stderr
