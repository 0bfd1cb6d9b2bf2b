"""Settings of idempotent writes and Shopify webhooks (the shared ones are in `services.common.settings`)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import pairs


class WriteSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    idempotency_ttl_seconds: float = 24 * 3600
    """How long an `Idempotency-Key` and its stored answer are kept."""
    idempotency_lease_seconds: float = 120
    """How long a claimed key counts as in flight; a claim older than this was abandoned (a crash)."""
    shopify_webhook_secrets: str = ""
    """Comma-separated `shop_id:secret` pairs: the secret Shopify signs each shop's webhooks with (the app's)."""
    shopify_shop_domains: str = ""
    """Comma-separated `shop_id:domain` pairs: each shop's Shopify domain (`acme.myshopify.com`); a shop not
    named refuses webhooks."""


@cache
def write_settings() -> WriteSettings:
    return WriteSettings()


def webhook_secret(shop_id: str) -> str | None:
    """The secret a shop's webhooks are signed with, or None for a shop this gateway takes none from. Never
    the shop's own secret (SHOP_SECRETS): Shopify would then hold the root of its token and lottery keys."""
    return pairs(write_settings().shopify_webhook_secrets).get(shop_id)


def shop_domain(shop_id: str) -> str | None:
    """The Shopify domain whose webhooks are this shop's, or None if none is configured."""
    return pairs(write_settings().shopify_shop_domains).get(shop_id)
