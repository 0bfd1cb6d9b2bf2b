"""The door: every request under /v1 is authenticated and rate limited before anything reads its body.

So nothing is parsed, waited for or stored for a caller without a credential: a missing or bad one
is a 401 whatever else is wrong with the request. Shopify's webhooks are the exception; their
signature (an HMAC of the body) is their route's to check. Plain ASGI middleware, after the body's
bound: the credential goes into the request's state, where the idempotency middleware and the
routes (`credentials.CredentialDep`) find it.

Failed authentications are limited per client address (an IPv6 one by its /64): past the limit, a
failure is a 429, and so is a credential that would have to be looked up in PostgreSQL, while keys
already known to the process and valid customer tokens still pass. Unknown keys are remembered
(`apikeys.StoredKeys`), so repeating one costs no lookup either.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from starlette.datastructures import Headers, State
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway import apikeys, errors, ratelimit
from services.gateway.credentials import STATE, Credential, bearer, identify
from services.gateway.errors import ApiError
from services.gateway.settings import gateway_settings
from services.gateway.tables import keys as keys_db

OWN_SIGNATURE = "/v1/webhooks/shopify/"


@dataclass(frozen=True)
class Access:
    """One process's stored-key answers and rate-limit buckets: per credential, of failures per address, and
    of customer tokens minted per key."""

    keys: apikeys.StoredKeys
    limiter: ratelimit.Limiter
    failures: ratelimit.Limiter
    mints: ratelimit.Limiter


def access(state: State) -> Access:
    if not hasattr(state, "access"):
        configured = gateway_settings()
        state.access = Access(
            apikeys.StoredKeys(configured.api_key_cache_seconds),
            ratelimit.Limiter(ratelimit.Limit(configured.rate_limit_per_second, configured.rate_limit_burst)),
            ratelimit.Limiter(ratelimit.Limit(configured.auth_failures_per_second, configured.auth_failure_burst)),
            ratelimit.Limiter(
                ratelimit.Limit(configured.customer_token_mints_per_second, configured.customer_token_mint_burst)
            ),
        )
    if not isinstance(state.access, Access):
        raise TypeError("the application's access state is not set up")
    return state.access


class Authenticate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if not path.startswith("/v1/") or path.startswith(OWN_SIGNATURE):
            await self.app(scope, receive, send)
            return
        try:
            credential = await who_asks(scope)
        except ApiError as refused:
            answer = JSONResponse(errors.body(refused.code, refused.message, refused.details), refused.status,
                                  headers=refused.headers)  # fmt: skip
            await answer(scope, receive, send)
            return
        scope.setdefault("state", {})[STATE] = credential
        await self.app(scope, receive, send)


async def who_asks(scope: Scope) -> Credential:
    """The request's credential, counted against its rate limit; a 401 or a 429 otherwise."""
    app_state = scope["app"].state
    state, pool, now, address = access(app_state), app_state.resources.pool, time.monotonic(), client_address(scope)
    blocked = state.failures.due(address, now)

    async def stored(key_sha256: str) -> apikeys.ApiKey | None:
        if blocked:
            raise rate_limited(FAILING, blocked)
        return await keys_db.by_digest(pool, key_sha256)

    async def lookup(key_sha256: str) -> apikeys.ApiKey | None:
        return await state.keys.find(key_sha256, now, stored)

    try:
        credential = await identify(bearer(Headers(scope=scope).get("authorization")), time.time(), lookup)
    except ApiError as refused:
        if refused.status == 401 and (wait := state.failures.wait(address, now)) > 0:
            raise rate_limited(FAILING, wait) from None
        raise
    if (wait := state.limiter.wait(credential.who, now)) > 0:
        raise rate_limited("too many requests with this credential", wait)
    return credential


FAILING = "too many failed authentications from this address"


def client_address(scope: Scope) -> str:
    """Whose failures count together: the peer (or, behind TRUSTED_PROXIES, the client they name); an IPv6
    address by its /64, the block one machine usually holds."""
    host = str((scope.get("client") or ("unknown", 0))[0])
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(getattr(address, "ipv4_mapped", None) or address)


def rate_limited(what: str, wait: float) -> ApiError:
    seconds = ratelimit.retry_after(wait)
    return ApiError(429, "rate_limited", f"{what}: retry in {seconds} s", {"retry_after": seconds},
                    headers={"Retry-After": str(seconds)})  # fmt: skip
