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
from typing import Literal, TypeVar, get_args

Scope = Literal["events:write", "read", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
SHOP_KEY_SCOPES = frozenset({"events:write", "read"})
ADMIN_KEY_SCOPES = frozenset({"admin", "read"})
PREFIX = "psk_"
V = TypeVar("V")


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
    process takes that long to apply here (this process's own revocations apply at once).

    Known keys and unknown digests are remembered apart, each up to its capacity (the oldest answer
    goes first): however many invented keys are tried, they never push a known key out.
    """

    def __init__(self, ttl: float, capacity: int = 10_000, unknown_capacity: int = 10_000) -> None:
        self.ttl, self.known, self.unknown = ttl, dict[str, tuple[float, ApiKey]](), dict[str, float]()
        self.capacity, self.unknown_capacity = capacity, unknown_capacity

    async def find(self, key_sha256: str, now: float, lookup: Lookup) -> ApiKey | None:
        """The key with that digest, revoked or not; None for a digest no key has."""
        if (cached := self.known.get(key_sha256)) is not None and cached[0] > now:
            return cached[1]
        if self.unknown.get(key_sha256, now) > now:
            return None
        key = await lookup(key_sha256)
        if key is None:
            remember(self.unknown, key_sha256, now + self.ttl, self.unknown_capacity)
        else:
            remember(self.known, key_sha256, (now + self.ttl, key), self.capacity)
        return key

    def forget(self, key_id: str) -> None:
        for hashed in [h for h, (_, key) in self.known.items() if key.key_id == key_id]:
            del self.known[hashed]


def remember(answers: dict[str, V], key_sha256: str, answer: V, capacity: int) -> None:
    """The answer, newest last; the oldest go once there are more than `capacity`."""
    answers.pop(key_sha256, None)
    answers[key_sha256] = answer
    while len(answers) > capacity:
        del answers[next(iter(answers))]
