"""A key per purpose, derived from a shop's secret (HKDF-SHA256, RFC 5869). Pure: standard library only.

A shop has one secret (SHOP_SECRETS) and nothing uses it as it is: each use takes its own key,

    key = HKDF-SHA256(IKM = the secret as UTF-8, salt = none, info = the purpose's label, L = 32 bytes)

so what one key signs or seeds tells nothing about another key or the secret. A customer holding a
token (signed with the customer-token key) cannot compute a lottery draw or a coupon code; whoever
holds the secret recomputes every key, hence every token, code and draw. A new label (`.../v2`)
rotates one purpose without touching the others.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

CUSTOMER_TOKEN = "pointstream/customer-token/v1"  # noqa: S105 - a derivation label, not a secret
"""Signs customer tokens (JWT, HS256)."""
LOTTERY = "pointstream/lottery/v1"
"""Seeds lottery draws."""
COUPON_CODE = "pointstream/coupon-code/v1"
"""Makes generated coupon codes."""
PURPOSES = (CUSTOMER_TOKEN, LOTTERY, COUPON_CODE)
KEY_BYTES = 32


@lru_cache(maxsize=4096)
def derive(secret: str | bytes, purpose: str, length: int = KEY_BYTES) -> bytes:
    """The key of `purpose` for a shop with `secret`."""
    return hkdf_sha256(secret.encode() if isinstance(secret, str) else secret, purpose.encode(), length)


def hkdf_sha256(ikm: bytes, info: bytes, length: int, salt: bytes = b"") -> bytes:
    """RFC 5869: extract with `salt` (none: 32 zero bytes), then expand with `info` to `length` bytes."""
    if not 0 < length <= 255 * hashlib.sha256().digest_size:
        raise ValueError(f"HKDF-SHA256 makes 1 to 8160 bytes, not {length}")
    prk = hmac.new(salt or bytes(hashlib.sha256().digest_size), ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]
