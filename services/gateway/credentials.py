"""Who is asking: an API key (`apikeys`) or a customer token (`tokens`), rate limited (`ratelimit`).

A missing, unknown, revoked, expired or tampered credential is a 401 with `WWW-Authenticate`;
the message never says whether another shop's key or customer exists. Each credential has its own
token bucket in each process (a customer token's is its customer's): a 429 with `Retry-After`.
What a credential may do on each route is `auth`'s concern.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.settings import pairs, settings
from services.gateway import apikeys, ratelimit, tokens
from services.gateway.errors import ApiError
from services.gateway.postgres import keys as keys_db
from services.gateway.settings import gateway_settings


@dataclass(frozen=True)
class Credential:
    shop: str
    scopes: frozenset[str]
    actor: str
    customer_id: str | None = None
    """Set for a customer token: the one customer it acts for."""

    @property
    def who(self) -> str:
        """Whose requests share a rate limit: the key's, or the customer's (all their tokens)."""
        return self.actor if self.customer_id is None else f"customer:{self.shop}:{self.customer_id}"

    def sees(self, customer_id: str) -> bool:
        return self.customer_id is None or self.customer_id == customer_id


@dataclass(frozen=True)
class Access:
    """One process's stored-key answers and rate-limit buckets."""

    keys: apikeys.StoredKeys
    limiter: ratelimit.Limiter


def access(request: Request) -> Access:
    state = request.app.state
    if not hasattr(state, "access"):
        configured = gateway_settings()
        limit = ratelimit.Limit(configured.rate_limit_per_second, configured.rate_limit_burst)
        state.access = Access(apikeys.StoredKeys(configured.api_key_cache_seconds), ratelimit.Limiter(limit))
    assert isinstance(state.access, Access)
    return state.access


def bearer(authorization: str | None) -> str | None:
    scheme, _, credential = (authorization or "").strip().partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})


@lru_cache(maxsize=8)
def environment_keys(shop_keys: str, admin_keys: str) -> dict[str, apikeys.ApiKey]:
    return apikeys.configured(shop_keys, admin_keys)


async def identify(presented: str, now: float, lookup: apikeys.Lookup) -> Credential:
    """The credential a bearer value is (`lookup` finds stored keys by digest), or a 401."""
    if tokens.looks_like_token(presented):
        return customer(presented, now)
    hashed = apikeys.digest(presented)
    key = environment_keys(settings().shop_api_keys, gateway_settings().admin_api_keys).get(hashed)
    if key is None:
        key = await lookup(hashed)
    if key is None or key.revoked_at is not None:
        raise unauthenticated("unknown or revoked key")
    return Credential(key.shop_id, key.scopes, key.actor)


def customer(token: str, now: float) -> Credential:
    maximum = gateway_settings().customer_token_max_seconds
    try:
        found = tokens.verify(token, pairs(settings().shop_secrets), now, maximum)
    except tokens.InvalidToken as exc:
        raise unauthenticated(str(exc)) from None
    return Credential(found.shop, frozenset(), f"customer:{found.customer_id}", found.customer_id)


BEARER = HTTPBearer(auto_error=False, description="an API key of the shop, or a customer token")
"""Declares the scheme in the OpenAPI document (the Authorize button of /docs); the header is parsed here."""


async def authenticate(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None
) -> Credential:
    presented = bearer(request.headers.get("authorization"))
    if presented is None:
        raise unauthenticated("send Authorization: Bearer <API key or customer token>")
    state, pool = access(request), request.app.state.resources.pool

    async def lookup(key_sha256: str) -> apikeys.ApiKey | None:
        return await state.keys.find(key_sha256, time.monotonic(), lambda h: keys_db.by_digest(pool, h))

    credential = await identify(presented, time.time(), lookup)
    if (wait := state.limiter.wait(credential.who, time.monotonic())) > 0:
        seconds = ratelimit.retry_after(wait)
        raise ApiError(429, "rate_limited", f"too many requests with this credential: retry in {seconds} s",
                       {"retry_after": seconds}, headers={"Retry-After": str(seconds)})  # fmt: skip
    return credential


CredentialDep = Annotated[Credential, Depends(authenticate)]
