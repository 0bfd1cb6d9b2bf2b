"""Opaque ledger cursors: the ledger offset below which the next page starts. Pure.

A customer's entries all live in one ledger partition, so the offset orders them. The version
prefix lets the format change later while old cursors still get a clear 400.
"""

from __future__ import annotations

import base64
import binascii

VERSION = "v1"


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
    if version != VERSION or not value.isdigit() or not value.isascii():
        raise InvalidCursor("cursor is not one this API returned")
    return int(value)
