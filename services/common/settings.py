"""All configuration, read once from the environment (see README: Configuration)."""

from __future__ import annotations

import socket
from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    schema_registry_url: str = ""
    """Set to a Confluent-compatible registry to write Confluent framing (both are always read)."""
    topic_namespace: str = ""
    """Prefix for every topic name, so several isolated deployments can share one cluster."""
    partitions: int = 6
    """One partition count for every co-partitioned topic."""
    database_url: str = "postgresql://pointstream:pointstream@127.0.0.1:5433/pointstream"
    instance_id: str = socket.gethostname()
    """Stable per process slot: the transactional id of a processor derives from it."""
    metrics_port: int | None = None
    """Prometheus port of a processor; each service has its own default, 0 turns it off."""
    shop_api_keys: str = "demo:demo-shop-key"
    """Comma-separated `shop_id:key` pairs accepted as shop keys."""
    shop_secrets: str = "demo:demo-shop-secret"
    """Comma-separated `shop_id:secret` pairs: each shop's secret seeds its lottery draws and coupon
    codes (so an auditor holding it can recompute them) and signs its customer tokens."""
    expiry_tick_seconds: float = 60.0
    """How often the redeem service publishes the time that expires lots."""
    batch_size: int = 500
    """Records per transaction in the stream processors."""
    max_state_bytes: int = 262_144
    """The most one state value of a processor may weigh; a record that would make more is dead-lettered."""
    log_level: str = "INFO"


@cache
def settings() -> Settings:
    return Settings()


def pairs(configured: str) -> dict[str, str]:
    """`"shop:value,shop2:value2"` -> {shop: value}; entries without a shop or a value are ignored."""
    found = (item.strip().partition(":") for item in configured.split(","))
    return {shop.strip(): value.strip() for shop, _, value in found if shop.strip() and value.strip()}
