"""Settings of idempotent writes and Shopify webhooks (the shared ones are in `services.common.settings`)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import pairs, settings


class WriteSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    idempotency_ttl_seconds: float = 24 * 3600
    """How long an `Idempotency-Key` and its stored answer are kept."""
    idempotency_lease_seconds: float = 120
    """How long a claimed key counts as in flight; a claim older than this was abandoned (a crash)."""
    shopify_webhook_secrets: str = ""
    """Comma-separated `shop_id:secret` pairs that sign Shopify webhooks; a shop not named uses SHOP_SECRETS."""


@cache
def write_settings() -> WriteSettings:
    return WriteSettings()


def webhook_secret(shop_id: str) -> str | None:
    """The secret a shop's webhooks are signed with, or None for a shop this gateway does not know."""
    return pairs(write_settings().shopify_webhook_secrets).get(shop_id) or pairs(settings().shop_secrets).get(shop_id)
