"""The gateway's own settings (the shared ones are in `services.common.settings`)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    admin_api_keys: str = "demo:demo-admin-key"
    """Comma-separated `shop_id:key` pairs accepted as admin keys: a shop's program administration."""


@cache
def gateway_settings() -> GatewaySettings:
    return GatewaySettings()
