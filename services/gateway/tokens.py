"""Customer tokens: short-lived JWTs (HS256) for one customer, signed with the shop's customer-token key.

The key is derived from the shop's secret for this purpose alone (`services.shop_keys`:
HKDF-SHA256 with the label `pointstream/customer-token/v1`), so a token's signature says nothing
about the keys that make coupon codes and lottery draws.

Claims: `sub` (the customer id), `shop`, `iat` and `exp` (epoch seconds). A token without `exp`,
living longer than the configured maximum, expired, issued in the future, tampered with, signed
with another algorithm or with another shop's secret is refused. The gateway mints them
(`POST /v1/customers/{id}/tokens`); a shop's backend holding its secret may mint its own.
Pure: the time is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.types import Options

from services import shop_keys

ALGORITHM = "HS256"
CLOCK_SKEW = 30
"""Seconds an `iat` may lie ahead of this clock."""


class InvalidToken(Exception):
    def __init__(self, expired: bool = False) -> None:
        super().__init__("the customer token has expired" if expired else "invalid customer token")
        self.expired = expired


@dataclass(frozen=True)
class CustomerToken:
    shop: str
    customer_id: str
    expires_at: int


def issue(shop: str, customer_id: str, secret: str, now: int, ttl_seconds: int) -> tuple[str, int]:
    """A token for `customer_id` and when it expires."""
    expires_at = now + ttl_seconds
    claims = {"sub": customer_id, "shop": shop, "iat": now, "exp": expires_at}
    return jwt.encode(claims, signing_key(secret), algorithm=ALGORITHM), expires_at


def signing_key(secret: str) -> bytes:
    """The key a shop's tokens are signed with: a shop's backend minting its own derives the same."""
    return shop_keys.derive(secret, shop_keys.CUSTOMER_TOKEN)


def looks_like_token(credential: str) -> bool:
    """A JWT (three segments, a JSON header) rather than an API key."""
    if credential.count(".") != 2:
        return False
    try:
        jwt.get_unverified_header(credential)
    except jwt.PyJWTError:
        return False
    return True


def verify(token: str, shop_secrets: Mapping[str, str], now: float, max_lifetime: int) -> CustomerToken:
    """The token's customer and shop, or InvalidToken."""
    try:
        if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
            raise InvalidToken
        shop = jwt.decode(token, options={"verify_signature": False}).get("shop")
        secret = shop_secrets.get(shop) if isinstance(shop, str) else None
        if secret is None:
            raise InvalidToken
        claims = jwt.decode(token, signing_key(secret), algorithms=[ALGORITHM], options=UNCHECKED_TIMES)
    except jwt.PyJWTError:
        raise InvalidToken from None
    return checked(claims, now, max_lifetime)


# The times are checked against the `now` passed in, not PyJWT's clock.
UNCHECKED_TIMES: Options = {
    "require": ["sub", "shop", "iat", "exp"], "verify_exp": False, "verify_iat": False, "verify_nbf": False,
}  # fmt: skip


def checked(claims: Mapping[str, Any], now: float, max_lifetime: int) -> CustomerToken:
    sub, shop, iat, exp = claims["sub"], claims["shop"], claims["iat"], claims["exp"]
    if not (isinstance(sub, str) and 0 < len(sub) <= 256 and isinstance(shop, str)):
        raise InvalidToken
    if not (whole(iat) and whole(exp) and iat < exp <= iat + max_lifetime and iat <= now + CLOCK_SKEW):
        raise InvalidToken
    if exp <= now:
        raise InvalidToken(expired=True)
    return CustomerToken(shop, sub, exp)


def whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
