"""Shop keys: `Authorization: Bearer <key>` acts for its own shop only.

Keys come from SHOP_API_KEYS (`shop_id:key` pairs). Every configured key is compared, in constant
time, whatever matched before, so timing tells nothing about which keys exist. Known gap: admin
keys, hashed keys stored in the database and signed customer tokens come with the complete API.
"""

from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header

from services.common.settings import settings
from services.gateway.errors import ApiError

KeyPairs = tuple[tuple[str, bytes], ...]


@lru_cache(maxsize=8)
def parse_keys(configured: str) -> KeyPairs:
    """`"shop:key,shop2:key2"` -> ((shop, key), ...); pairs with an empty shop or key are ignored."""
    pairs = (item.strip().partition(":") for item in configured.split(","))
    return tuple((shop.strip(), key.strip().encode()) for shop, _, key in pairs if shop.strip() and key.strip())


def shop_for(authorization: str | None, keys: KeyPairs) -> str | None:
    """The shop a bearer key acts for, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    presented, shop = token.strip().encode(), None
    for candidate, key in keys:
        if hmac.compare_digest(key, presented):
            shop = candidate
    return shop


def current_shop(authorization: Annotated[str | None, Header()] = None) -> str:
    shop = shop_for(authorization, parse_keys(settings().shop_api_keys))
    if shop is None:
        raise ApiError(
            401,
            "unauthenticated",
            "send Authorization: Bearer <shop key>" if not authorization else "unknown key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return shop


ShopDep = Annotated[str, Depends(current_shop)]
