"""Reading a merchant's JSON document (a program, a reward) field by field; every refusal names its path.

Pure: the program (`services.program`) and the reward catalog (`services.redeem.catalog`) both read documents with it.
A domain's own refusal (`ProgramError`, `InvalidReward`) is an `InvalidField`; its entry point is
wrapped with `refusals_as`, so a caller only ever sees the domain's own kind. Every number, list and
time is bounded (by default, the contract's `limits.POINTS`, `limits.ITEMS` and event-time range),
so nothing a document sets can overflow what the services compute with it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from fractions import Fraction
from typing import Any, ParamSpec, TypeVar

from services import limits

P = ParamSpec("P")
T = TypeVar("T")


class InvalidField(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def refusals_as(kind: type[InvalidField]) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Makes every refusal raised inside the wrapped reader one of `kind`."""

    def wrap(read: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(read)
        def reading(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return read(*args, **kwargs)
            except InvalidField as exc:
                if isinstance(exc, kind):
                    raise
                raise kind(exc.path, exc.message) from None

        return reading

    return wrap


def integer(value: Any, path: str, minimum: int = 0, maximum: int = limits.POINTS) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(path, "an integer")
    if value < minimum:
        raise InvalidField(path, f"at least {minimum}")
    if value > maximum:
        raise InvalidField(path, f"at most {maximum:,}")
    return value


def optional_integer(value: Any, path: str, minimum: int = 0, maximum: int = limits.POINTS) -> int | None:
    return None if value is None else integer(value, path, minimum, maximum)


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidField(path, "true or false")
    return value


def array(value: Any, path: str, longest: int = limits.ITEMS) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidField(path, "a list")
    if len(value) > longest:
        raise InvalidField(path, f"at most {longest:,} items")
    return value


def entries(value: Any, path: str, what: str, longest: int = limits.ITEMS) -> Mapping[str, Any]:
    """An object of `what` (e.g. "task name -> {points}"), of at most `longest` entries."""
    if not isinstance(value, Mapping):
        raise InvalidField(path, f"an object of {what}")
    if len(value) > longest:
        raise InvalidField(path, f"at most {longest:,} entries")
    return value


def name(value: Any, path: str, longest: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        raise InvalidField(path, f"a non-empty name of at most {longest} characters")
    return value


def instant(value: Any, path: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidField(path, "an ISO 8601 time such as 2026-12-01T00:00:00Z") from None
    if when.tzinfo is None:
        raise InvalidField(path, "a time with its UTC offset (or Z)")
    if not limits.EARLIEST <= when < limits.LATEST:
        raise InvalidField(path, "a time from 2000-01-01 to before 2200-01-01")
    return when


def decimal(value: Any, path: str, pattern: re.Pattern[str], example: str) -> Fraction:
    """An integer or a decimal string matching `pattern` (plain digits: an exponent such as 1e-10000000
    would make Fraction expand it), exactly."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidField(path, f'a number as an integer or a decimal string such as "{example}"')
    if isinstance(value, str) and not pattern.fullmatch(value.strip()):
        raise InvalidField(path, f'{value!r} is not a decimal number such as "{example}" (at most 4 decimal places)')
    return Fraction(value.strip() if isinstance(value, str) else value)
