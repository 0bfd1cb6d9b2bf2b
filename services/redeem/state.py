"""An account as bytes for the state store, and back: JSON driven by the dataclasses' type hints.

Times are exact integer milliseconds since the epoch (UTC); sets are sorted lists; mappings keep
their keys as JSON strings and get their key type back when read.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

import orjson

from services.common.timestamps import millis, moment
from services.redeem.account import Account
from services.redeem.decider import State
from services.redeem.retention import upgraded


def dump_account(account: Account) -> bytes:
    return orjson.dumps(_dump(account))


TIER = b"\x00tier"
"""Suffix of a customer's key under which the tier it last reached is kept."""


def load_state(account: bytes | None, tier: bytes | None, shop_id: str, customer_id: str) -> State:
    """The customer's account and tier; a customer no tier change named yet is in the base tier."""
    loaded = State(load_account(account, shop_id, customer_id))
    return replace(loaded, tier=tier.decode()) if tier else loaded


def load_account(raw: bytes | None, shop_id: str, customer_id: str) -> Account:
    if raw is None:
        return Account(shop_id, customer_id)
    loaded: Account = _load(Account, orjson.loads(raw))
    return upgraded(loaded)


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return millis(value)
    if isinstance(value, frozenset | set):
        return sorted(_dump(v) for v in value)
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _load_collection(origin: Any, args: tuple[Any, ...], raw: Any) -> Any:
    if origin in (frozenset, set):
        return frozenset(_load(args[0], v) for v in raw)
    if origin is tuple:
        return tuple(_load(args[0], v) for v in raw)
    if origin in (dict, Mapping, typing.Mapping) or (isinstance(origin, type) and issubclass(origin, Mapping)):
        key, value = args
        if isinstance(raw, list):  # a set of ids, stored before each had a time (retention.upgraded)
            raw = dict.fromkeys(raw)
        return {_load(key, k) if key is not str else k: _load(value, v) for k, v in raw.items()}
    return raw


def _load(hint: Any, raw: Any) -> Any:
    if raw is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _load(next(a for a in args if a is not type(None)), raw)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        return hint(**{name: _load(hints[name], value) for name, value in raw.items() if name in hints})
    if hint is datetime:
        return moment(raw)
    if origin is not None:
        return _load_collection(origin, args, raw)
    if hint is int and isinstance(raw, str):
        return int(raw)
    if hint is bool and isinstance(raw, str):
        return raw == "True"
    return raw
