"""All configuration, read once from the environment (see README: Configuration)."""

from __future__ import annotations

import socket
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    """How every client (producers, consumers, admin) talks to the brokers; a managed Kafka wants SASL_SSL."""
    kafka_sasl_mechanism: Literal["", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    kafka_ssl_ca_location: str = ""
    """A PEM file of the CAs that signed the brokers' certificates; empty: the system's trust store."""
    kafka_ssl_certificate_location: str = ""
    """A PEM client certificate, for brokers that authenticate clients by TLS (mutual TLS)."""
    kafka_ssl_key_location: str = ""
    kafka_ssl_key_password: str = ""
    kafka_ssl_endpoint_identification: Literal["https", "none"] = "https"
    """`https` checks the broker's host name against its certificate; `none` only for testing."""
    replication_factor: int = 1
    """Replicas of every topic `pointstream topics create` makes: 1 on a single local broker, 3 in production."""
    schema_registry_url: str = ""
    """Set to a Confluent-compatible registry to write Confluent framing (both are always read)."""
    schema_registry_basic_auth: str = ""
    """`user:password` for a registry that asks for HTTP basic authentication (a managed one does)."""
    topic_namespace: str = ""
    """Prefix for every topic name, so several isolated deployments can share one cluster."""
    partitions: int = 6
    """One partition count for every co-partitioned topic."""
    database_url: str = ""
    """PostgreSQL of the read models and reward stock; no default, so no deployment runs on a demo password."""
    instance_id: str = socket.gethostname()
    """Stable per process slot: the transactional id of a processor derives from it."""
    metrics_port: int | None = None
    """Prometheus port of a processor; each service has its own default, 0 turns it off."""
    metrics_host: str = "127.0.0.1"
    """The address the metrics are served on: 127.0.0.1 by default, 0.0.0.0 in a container."""
    projector_metrics_port: int = 9105
    """The projector's metrics port when METRICS_PORT is not set."""
    database_schema: str = ""
    """The PostgreSQL schema of the read models and reward stock; empty: the connection's default."""
    shop_api_keys: str = ""
    """Comma-separated `shop_id:key` pairs accepted as shop keys (none by default)."""
    shop_secrets: str = ""
    """Comma-separated `shop_id:secret` pairs: each shop's secret seeds its lottery draws and coupon
    codes (so an auditor holding it can recompute them) and signs its customer tokens."""
    expiry_tick_seconds: float = 60.0
    """How often the redeem service publishes the time that expires lots."""
    future_tolerance_seconds: float = 300.0
    """How far past its record's own time in the log an event may be dated: a later event time counts as that
    (redeem's and tier's clocks), so a future-dated event cannot push a customer's or a partition's clock on."""
    reservation_settle_seconds: float = 900.0
    """How long after a decision last relied on a reward reservation the redeem service may reconcile it (give it
    back unless the log approved it): longer than a Kafka transaction stays open (60 s)."""
    redeem_duplicates_days: int = 30
    """How long (event time) the redeem service recognises a command again; an older one is dead-lettered."""
    dedup_window_days: int = Field(default=30, ge=1)
    """How long (event time) earn remembers each event it applied, to recognise it again: longer than any source
    retries. An event dated further back than that before its partition's latest event is dead-lettered."""
    refund_window_days: int = Field(default=400, ge=1)
    """How long (event time) earn remembers an order after its latest event (its payment or a refund), to claw back
    what it earned: the longest return window and a year of late refunds. At least DEDUP_WINDOW_DAYS."""
    batch_size: int = 500
    """Records per transaction in the stream processors."""
    state_dir: Path = Path(".local/state")
    """Where the stream processors keep their state on disk, one directory per group and instance inside it:
    a persistent volume in a deployment, so a restart restores only what the changelog gained since."""
    state_cache_mb: int = 64
    """The memory each processor gives its on-disk state (RocksDB block cache and write buffers), however large
    the state grows."""
    max_state_bytes: int = 262_144
    """The most one state value of a processor may weigh; a record that would make more is dead-lettered."""
    log_level: str = "INFO"
    allow_demo_credentials: bool = False
    """Lets the gateway and redeem start with the demo's well-known keys and secrets (`make run` sets it);
    never set it in a deployment."""

    @model_validator(mode="after")
    def complete_kafka_security(self) -> Settings:
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and not (self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError("KAFKA_SECURITY_PROTOCOL=SASL_* needs KAFKA_SASL_MECHANISM, _USERNAME and _PASSWORD")
        if not sasl and self.kafka_sasl_mechanism:
            raise ValueError("KAFKA_SASL_MECHANISM needs KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL")
        return self

    @model_validator(mode="after")
    def orders_outlive_duplicates(self) -> Settings:
        """An order forgotten while a copy of its payment could still be taken would pay twice."""
        if self.refund_window_days < self.dedup_window_days:
            raise ValueError("REFUND_WINDOW_DAYS must be at least DEDUP_WINDOW_DAYS")
        return self


@cache
def settings() -> Settings:
    return Settings()


def database_schema() -> str | None:
    """DATABASE_SCHEMA as the environment has it now (never cached: a test or a command may set it late)."""
    return Settings().database_schema or None


class Files(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    pointstream_schemas: Path = Path(__file__).resolve().parents[2] / "schemas"
    """The directory of the Avro schemas (a container puts them elsewhere)."""


def schemas_dir() -> Path:
    return Files().pointstream_schemas


def pairs(configured: str) -> dict[str, str]:
    """`"shop:value,shop2:value2"` -> {shop: value}; entries without a shop or a value are ignored."""
    found = (item.strip().partition(":") for item in configured.split(","))
    return {shop.strip(): value.strip() for shop, _, value in found if shop.strip() and value.strip()}
