"""Who is asking: an API key (`apikeys`) or a customer token (`tokens`).

`authentication` settles it once per request, at the door, and keeps it in the request's state;
routes depend on `CredentialDep` to read it. A missing, unknown, revoked, expired or tampered
credential is a 401 with `WWW-Authenticate`; the message never says whether another shop's key or
customer exists. What a credential may do on each route is `auth`'s concern.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.settings import pairs, settings
from services.gateway import apikeys, tokens
from services.gateway.errors import ApiError
from services.gateway.settings import gateway_settings

STATE = "credential"
"""Where the request's state holds the credential."""


@dataclass(frozen=True)
class Credential:
    shop: str
    scopes: frozenset[str]
    actor: str
    customer_id: str | None = None
    """Set for a customer token: the one customer it acts for."""

    @property
    def who(self) -> str:
        """Whose requests share a rate limit and idempotency keys: the key's, or the customer's (all their tokens)."""
        return self.actor if self.customer_id is None else f"customer:{self.shop}:{self.customer_id}"

    def sees(self, customer_id: str) -> bool:
        return self.customer_id is None or self.customer_id == customer_id


def bearer(authorization: str | None) -> str | None:
    scheme, _, credential = (authorization or "").strip().partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})


@lru_cache(maxsize=8)
def environment_keys(shop_keys: str, admin_keys: str) -> dict[str, apikeys.ApiKey]:
    return apikeys.configured(shop_keys, admin_keys)


async def identify(presented: str | None, now: float, lookup: apikeys.Lookup) -> Credential:
    """The credential a bearer value is (`lookup` finds stored keys by digest), or a 401."""
    if presented is None:
        raise unauthenticated("send Authorization: Bearer <API key or customer token>")
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
"""Declares the scheme in the OpenAPI document (the Authorize button of /docs); the header is parsed at the door."""


async def authenticated(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None
) -> Credential:
    """The credential the door found; a route outside the door's reach is refused rather than left open."""
    credential = request.scope.get("state", {}).get(STATE)
    if not isinstance(credential, Credential):
        raise unauthenticated("send Authorization: Bearer <API key or customer token>")
    return credential


CredentialDep = Annotated[Credential, Depends(authenticated)]
