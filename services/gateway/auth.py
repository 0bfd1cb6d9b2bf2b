"""Shop keys: `Authorization: Bearer <key>` acts for its own shop only.

Keys come from SHOP_API_KEYS (`shop_id:key` pairs). Known gap: scoped, hashed keys in the
database and customer tokens come with the complete API.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header

from services.common.settings import settings
from services.gateway.errors import ApiError


def shop_keys() -> dict[str, str]:
    pairs = (item.split(":", 1) for item in settings().shop_api_keys.split(",") if ":" in item)
    return {key.strip(): shop.strip() for shop, key in pairs}


def shop_for(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <shop key>")
    for key, shop in shop_keys().items():
        if hmac.compare_digest(key.encode(), token.encode()):
            return shop
    raise ApiError(401, "unauthenticated", "unknown key")


def current_shop(authorization: Annotated[str | None, Header()] = None) -> str:
    return shop_for(authorization)


ShopDep = Annotated[str, Depends(current_shop)]
