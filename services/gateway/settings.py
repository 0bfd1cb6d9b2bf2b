"""The gateway's own settings (the shared ones are in `services.common.settings`)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    gateway_host: str = "127.0.0.1"
    """The address the API listens on (0.0.0.0 in a container)."""
    gateway_port: int = 8000
    admin_api_keys: str = ""
    """Comma-separated `shop_id:key` pairs accepted as admin keys: a shop's program administration (none by default)."""
    api_key_cache_seconds: Annotated[float, Field(ge=0)] = 15.0
    """How long a process trusts what it read of a stored key: a revocation takes up to this long elsewhere."""
    customer_token_max_seconds: Annotated[int, Field(ge=1)] = 3600
    """The longest lifetime (`exp - iat`) a customer token may have; longer ones are refused."""
    rate_limit_per_second: Annotated[float, Field(ge=0)] = 100.0
    """Requests per second each key (or customer token's customer) may make, per process; 0: no limit."""
    rate_limit_burst: Annotated[int, Field(ge=0)] = 200
    """How many requests a key may make at once after being idle; 0: no limit."""
    customer_token_mints_per_second: Annotated[float, Field(ge=0)] = 10.0
    """Customer tokens each key may mint per second, per process, once its burst is spent; 0: no limit. Each
    token's customer has a rate limit of their own, so minting for invented customers is bounded here."""
    customer_token_mint_burst: Annotated[int, Field(ge=0)] = 100
    """Customer tokens a key may mint at once; 0: no limit."""
    auth_failures_per_second: Annotated[float, Field(ge=0)] = 1.0
    """Failed authentications a client address may make per second, per process, once its burst is spent; 0: no
    limit. Past it, the address's requests that fail, or that need a stored key looked up, are answered 429."""
    auth_failure_burst: Annotated[int, Field(ge=0)] = 20
    """Failed authentications a client address may make at once; 0: no limit."""
    trusted_proxies: str = ""
    """Comma-separated addresses or networks of the proxies in front of the gateway: the client address is the
    last one their `X-Forwarded-For` names that is not theirs. Empty (the default): the peer is the client."""
    min_position_max_waits: Annotated[int, Field(ge=1)] = 32
    """Reads that may wait for `min_position` at once in a process; beyond, a 503 with Retry-After."""
    min_position_threads: Annotated[int, Field(ge=1)] = 4
    """Threads that ask Kafka how far the services got, for those waits (their own: writes never queue behind)."""
    ready_max_projection_lag: int = 100_000
    """`/readyz` fails while the read models are more ledger records behind Kafka than this; 0: never."""
    program_metrics_seconds: float = 30.0
    """How often the members-per-tier and outstanding-points gauges are counted in PostgreSQL."""
    max_body_bytes: Annotated[int, Field(ge=1)] = 4 * 1024 * 1024
    """The largest request body taken: 1,000 orders of ten lines each, pretty-printed, weigh under 2 MiB."""


@cache
def gateway_settings() -> GatewaySettings:
    return GatewaySettings()
