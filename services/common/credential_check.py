"""Secure by default: a service refuses to start on the demo's well-known credentials or on none.

The demo (`make run`, `make test`, the compose demo) sets its keys and secrets explicitly, with
ALLOW_DEMO_CREDENTIALS=true; nothing else has a default. A deployment that forgets a variable, or
copies a placeholder, stops at start with a message naming the variable instead of opening a shop.
"""

from __future__ import annotations

import logging

from services.common.settings import Settings, pairs

log = logging.getLogger(__name__)

DEMO_VALUES = frozenset({"demo-shop-key", "demo-admin-key", "demo-shop-secret", "demo-shopify-secret", "pointstream"})
"""The demo's values (deploy/local/demo.env): public, so never a credential outside the demo."""
PLACEHOLDERS = ("change-me", "changeme", "replace-me")
MIN_SECRET_CHARS = 32
MIN_KEY_CHARS = 20


class WeakCredentials(SystemExit):
    """Raised at start: the service would run with a credential anyone can know."""


def weak_pairs(variable: str, configured: str, minimum: int) -> list[str]:
    """What is wrong with a `shop_id:value,...` variable, one line per fault (values never shown)."""
    faults = []
    for shop, value in pairs(configured).items():
        lowered = value.lower()
        if value in DEMO_VALUES or lowered.startswith("demo-") or any(p in lowered for p in PLACEHOLDERS):
            faults.append(f"{variable}: the value for shop {shop!r} is a demo value or a placeholder")
        elif len(value) < minimum:
            faults.append(f"{variable}: the value for shop {shop!r} is shorter than {minimum} characters")
    return faults


def faults(configured: Settings, *, admin_keys: str = "", webhook_secrets: str = "", secrets: bool = True) -> list[str]:
    """Every weak or missing credential a service of this kind would start with; `secrets`: it uses SHOP_SECRETS."""
    found = weak_pairs("SHOP_API_KEYS", configured.shop_api_keys, MIN_KEY_CHARS)
    found += weak_pairs("ADMIN_API_KEYS", admin_keys, MIN_KEY_CHARS)
    found += weak_pairs("SHOPIFY_WEBHOOK_SECRETS", webhook_secrets, MIN_KEY_CHARS)
    if secrets:
        found += weak_pairs("SHOP_SECRETS", configured.shop_secrets, MIN_SECRET_CHARS)
        if not pairs(configured.shop_secrets):
            found.append("SHOP_SECRETS is empty: every shop needs a secret for its customer tokens, codes and draws")
    if not configured.database_url:
        found.append("DATABASE_URL is not set")
    elif ":pointstream@" in configured.database_url:
        found.append("DATABASE_URL carries the demo database password")
    return found


def refuse_weak_credentials(
    service: str, configured: Settings, *, admin_keys: str = "", webhook_secrets: str = "", secrets: bool = True
) -> None:
    """Stops the process on weak or missing credentials, unless ALLOW_DEMO_CREDENTIALS says it is the demo."""
    found = faults(configured, admin_keys=admin_keys, webhook_secrets=webhook_secrets, secrets=secrets)
    if not found:
        return
    if configured.allow_demo_credentials:
        log.warning("%s runs with demo credentials (ALLOW_DEMO_CREDENTIALS=true): never do this in a deployment",
                    service, extra={"faults": found})  # fmt: skip
        return
    lines = "\n  ".join(found)
    raise WeakCredentials(f"{service} refuses to start:\n  {lines}\n(README: Secure by default)")
