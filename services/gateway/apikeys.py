"""API keys: each acts for one shop with scopes (`events:write`, `read`, `admin`), stored as a digest.

A key reads `psk_<key_id>_<secret>`: the `key_id` (12 hex digits) names it in lists, audit trails
and revocations; the rest comes from `secrets` and is shown once, when the key is created. Only
the key's SHA-256 is stored. Keys of SHOP_API_KEYS (scopes events:write and read) and
ADMIN_API_KEYS (admin and read) keep working: hashed when parsed, never compared in plain text;
such a key's id is the start of its digest. A key configured for two shops acts for neither.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

Scope = Literal["events:write", "read", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
SHOP_KEY_SCOPES = frozenset({"events:write", "read"})
ADMIN_KEY_SCOPES = frozenset({"admin", "read"})
PREFIX = "psk_"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    shop_id: str
    scopes: frozenset[str]
    label: str = ""
    created_at: datetime | None = None
    revoked_at: datetime | None = field(default=None, compare=False)

    @property
    def prefix(self) -> str:
        """What a key starts with, so an operator can tell which one is in use."""
        return f"{PREFIX}{self.key_id}"

    @property
    def actor(self) -> str:
        """Who the key is in an audit trail: its id, never the key."""
        return f"{'admin-key' if 'admin' in self.scopes else 'shop-key'}:{self.key_id}"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate() -> tuple[str, str]:
    """A new key's id and the key itself."""
    key_id = secrets.token_hex(6)
    return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def configured(shop_keys: str, admin_keys: str) -> dict[str, ApiKey]:
    """The keys of the environment by digest: `shop:key` pairs, shop keys then admin keys."""
    found: dict[str, ApiKey] = {}
    conflicting: set[str] = set()
    for configured_pairs, scopes in ((shop_keys, SHOP_KEY_SCOPES), (admin_keys, ADMIN_KEY_SCOPES)):
        for shop, key in entries(configured_pairs):
            hashed = digest(key)
            known = found.get(hashed)
            if known is not None and known.shop_id != shop:
                conflicting.add(hashed)
            scopes_now = scopes | (known.scopes if known is not None else frozenset())
            found[hashed] = ApiKey(hashed[:12], shop, scopes_now, label="environment")
    return {hashed: key for hashed, key in found.items() if hashed not in conflicting}


def entries(configured_pairs: str) -> Iterable[tuple[str, str]]:
    """Every `shop:key` pair; a shop may have several keys."""
    for item in configured_pairs.split(","):
        shop, _, key = item.strip().partition(":")
        if shop.strip() and key.strip():
            yield shop.strip(), key.strip()


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(set(scopes) - set(SCOPES))


Lookup = Callable[[str], Awaitable[ApiKey | None]]


class StoredKeys:
    """What the database said of a digest, trusted for `ttl` seconds: a revocation made by another
    process takes that long to apply here (this process's own revocations apply at once)."""

    def __init__(self, ttl: float, capacity: int = 10_000) -> None:
        self.ttl, self.capacity, self.answers = ttl, capacity, dict[str, tuple[float, ApiKey | None]]()

    async def find(self, key_sha256: str, now: float, lookup: Lookup) -> ApiKey | None:
        """The key with that digest, revoked or not (unknown digests are remembered too)."""
        cached = self.answers.get(key_sha256)
        if cached is not None and cached[0] > now:
            return cached[1]
        key = await lookup(key_sha256)
        if len(self.answers) >= self.capacity:
            self.answers.clear()
        self.answers[key_sha256] = (now + self.ttl, key)
        return key

    def forget(self, key_id: str) -> None:
        for hashed in [h for h, (_, key) in self.answers.items() if key is not None and key.key_id == key_id]:
            del self.answers[hashed]
