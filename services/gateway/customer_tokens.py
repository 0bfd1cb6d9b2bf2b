"""`POST /v1/customers/{customer_id}/tokens`: a shop's `read` key mints a customer token for a storefront.

The token is signed with the shop's secret (SHOP_SECRETS) and lives `ttl_seconds`, at most
CUSTOMER_TOKEN_MAX_SECONDS (the default).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.common.settings import pairs, settings
from services.gateway import tokens
from services.gateway.errors import ApiError
from services.gateway.settings import gateway_settings


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    ttl_seconds: int | None = Field(None, ge=1, description="lifetime; default and maximum CUSTOMER_TOKEN_MAX_SECONDS")


class CustomerToken(BaseModel):
    token: str = Field(description="`Authorization: Bearer <token>` for this customer's own reads and redemptions")
    expires_at: datetime


def mint(shop: str, customer_id: str, body: TokenBody | None) -> CustomerToken:
    maximum = gateway_settings().customer_token_max_seconds
    ttl = body.ttl_seconds if body is not None and body.ttl_seconds is not None else maximum
    if ttl > maximum:
        raise ApiError(422, "invalid_request", f"ttl_seconds is at most {maximum}", {"field": "ttl_seconds"})
    secret = pairs(settings().shop_secrets).get(shop)
    if secret is None:
        raise ApiError(409, "no_shop_secret", "this shop has no secret to sign customer tokens with (SHOP_SECRETS)")
    token, expires_at = tokens.issue(shop, customer_id, secret, int(time.time()), ttl)
    return CustomerToken(token=token, expires_at=datetime.fromtimestamp(expires_at, UTC))
