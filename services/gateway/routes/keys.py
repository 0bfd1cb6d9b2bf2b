"""API keys of the admin key's own shop: create (the key is shown once), list (never a key), revoke.

A revocation applies at once in the process that made it, and within API_KEY_CACHE_SECONDS in the
others. Keys configured in SHOP_API_KEYS and ADMIN_API_KEYS are not listed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.apikeys import ApiKey, Scope
from services.gateway.auth import AdminDep
from services.gateway.authentication import access
from services.gateway.deps import PoolDep
from services.gateway.errors import ApiError
from services.gateway.responses import errors
from services.gateway.shown_once import ShownOnce
from services.gateway.tables import keys as keys_db

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=errors(401, 403, 429))
KeyId = Annotated[str, Path(min_length=1, max_length=64)]


class KeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    scopes: list[Scope] = Field(min_length=1, description="`events:write`, `read` and/or `admin`")
    label: str = Field("", max_length=200, description="what the key is for, e.g. `storefront`")


class KeyOut(BaseModel):
    key_id: str
    prefix: str = Field(description="what the key starts with")
    scopes: list[str]
    label: str
    created_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    key: str = Field(
        description="the key: shown this once, stored only as its SHA-256 (a retry with the same Idempotency-Key "
        "gets a 409 `secret_shown_once` without it)"
    )


class KeyList(BaseModel):
    keys: list[KeyOut]


def shown(key: ApiKey) -> KeyOut:
    return KeyOut(key_id=key.key_id, prefix=key.prefix, scopes=sorted(key.scopes), label=key.label,
                  created_at=key.created_at, revoked_at=key.revoked_at)  # fmt: skip


@router.post("", status_code=201, responses=errors(422), dependencies=[ShownOnce])
async def create(body: KeyBody, admin: AdminDep, pool: PoolDep) -> KeyCreated:
    key, secret = await keys_db.issue(pool, admin.shop, body.scopes, body.label)
    return KeyCreated(**shown(key).model_dump(), key=secret)


@router.get("")
async def listed(admin: AdminDep, pool: PoolDep) -> KeyList:
    return KeyList(keys=[shown(key) for key in await keys_db.of_shop(pool, admin.shop)])


@router.delete("/{key_id}", responses=errors(404))
async def revoke(key_id: KeyId, admin: AdminDep, pool: PoolDep, request: Request) -> KeyOut:
    """Revoked at once here; revoking again answers the first revocation's time."""
    key = await keys_db.revoke(pool, key_id, admin.shop)
    if key is None:
        raise ApiError(404, "unknown_key", f"no key {key_id!r} in this shop", {"field": "key_id"})
    access(request.app.state).keys.forget(key_id)
    return shown(key)
