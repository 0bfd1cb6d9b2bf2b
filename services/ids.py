"""Derived ids: the same parts always give the same id, so a replay or a retried transaction writes the same record.

Ledger entries (earn's and redeem's) and the gateway's commands take their ids from what caused them. The
recipe is part of the contract: ids already in the log were made by it, so it never changes.
"""

from __future__ import annotations

import hashlib

SEPARATOR = "\x1f"
"""The unit separator: no part of an id (shop ids, event ids, kinds) may contain it."""


def derived_id(*parts: str) -> str:
    """128-bit hex: BLAKE2b (16-byte digest) of the parts joined by the unit separator."""
    return hashlib.blake2b(SEPARATOR.join(parts).encode(), digest_size=16).hexdigest()
