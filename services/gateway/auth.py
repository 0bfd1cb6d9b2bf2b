"""Shop and admin keys: `Authorization: Bearer <key>` acts for its own shop only.

Shop keys come from SHOP_API_KEYS, admin keys (program administration) from ADMIN_API_KEYS, both
`shop_id:key` pairs. A shop key is refused on admin routes (403); an admin key may also read what
a shop key reads on the program and the catalog. Every configured key is compared, in constant
time, whatever matched before, so timing tells nothing about which keys exist. A key acts under a
fingerprint of itself (`actor`), so the program's history and every staff command say which key
did it without showing the key.
Known gap: hashed keys stored in the database and signed customer tokens come with the complete API.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header

from services.common.settings import settings
from services.gateway.errors import ApiError
from services.gateway.settings import gateway_settings

KeyPairs = tuple[tuple[str, bytes], ...]


@lru_cache(maxsize=8)
def parse_keys(configured: str) -> KeyPairs:
    """`"shop:key,shop2:key2"` -> ((shop, key), ...); pairs with an empty shop or key are ignored."""
    pairs = (item.strip().partition(":") for item in configured.split(","))
    return tuple((shop.strip(), key.strip().encode()) for shop, _, key in pairs if shop.strip() and key.strip())


def bearer(authorization: str | None) -> bytes | None:
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip().encode() if scheme.lower() == "bearer" and token.strip() else None


def shop_for(authorization: str | None, keys: KeyPairs) -> str | None:
    """The shop a bearer key acts for, or None."""
    if (presented := bearer(authorization)) is None:
        return None
    shop = None
    for candidate, key in keys:
        if hmac.compare_digest(key, presented):
            shop = candidate
    return shop


def actor(authorization: str | None, role: str = "admin-key") -> str:
    """Who a key is in an audit trail: a fingerprint, never the key."""
    return f"{role}:" + hashlib.sha256(bearer(authorization) or b"").hexdigest()[:12]


def unauthenticated(authorization: str | None, kind: str) -> ApiError:
    message = f"send Authorization: Bearer <{kind}>" if not authorization else "unknown key"
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})


def current_shop(authorization: Annotated[str | None, Header()] = None) -> str:
    shop = shop_for(authorization, parse_keys(settings().shop_api_keys))
    if shop is None:
        raise unauthenticated(authorization, "shop key")
    return shop


@dataclass(frozen=True)
class Admin:
    shop: str
    actor: str


@dataclass(frozen=True)
class ShopKey:
    shop: str
    actor: str


def current_shop_key(authorization: Annotated[str | None, Header()] = None) -> ShopKey:
    """The shop of a shop key, and the key's fingerprint for commands that record who sent them."""
    return ShopKey(current_shop(authorization), actor(authorization, "shop-key"))


def current_admin(authorization: Annotated[str | None, Header()] = None) -> Admin:
    shop = shop_for(authorization, parse_keys(gateway_settings().admin_api_keys))
    if shop is not None:
        return Admin(shop, actor(authorization))
    if shop_for(authorization, parse_keys(settings().shop_api_keys)) is not None:
        raise ApiError(403, "forbidden", "a shop key cannot administer the program: use an admin key")
    raise unauthenticated(authorization, "admin key")


def current_reader(authorization: Annotated[str | None, Header()] = None) -> str:
    """The shop of an admin key or a shop key."""
    shop = shop_for(authorization, parse_keys(gateway_settings().admin_api_keys))
    return shop if shop is not None else current_shop(authorization)


ShopDep = Annotated[str, Depends(current_shop)]
AdminDep = Annotated[Admin, Depends(current_admin)]
ReaderDep = Annotated[str, Depends(current_reader)]
ShopKeyDep = Annotated[ShopKey, Depends(current_shop_key)]
