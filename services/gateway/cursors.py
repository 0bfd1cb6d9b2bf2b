"""Opaque ledger cursors: the ledger offset below which the next page starts. Pure.

A customer's entries all live in one ledger partition, so the offset orders them. The version
prefix lets the format change later while old cursors still get a clear 400.
"""

from __future__ import annotations

import base64
import binascii

VERSION = "v1"
MAX_OFFSET = 2**63
"""Offsets are 64-bit (Kafka's and PostgreSQL's bigint): a cursor past them is none this API returned."""


class InvalidCursor(ValueError):
    pass


def encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{VERSION}:{offset}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("cursor is not one this API returned") from None
    version, _, value = text.partition(":")
    if version != VERSION or not (value.isascii() and value.isdigit() and len(value) <= 19) or int(value) >= MAX_OFFSET:
        raise InvalidCursor("cursor is not one this API returned")
    return int(value)
