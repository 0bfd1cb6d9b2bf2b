"""Values past every integer width the gateway reads, for the fuzzer's query, path and header parameters.

Schemathesis draws strings from their schemas, which rarely spell a number past 2^31 or 2^63, let
alone a `min_position` or a ledger cursor holding one. `install` hooks give one declared parameter
of about half the generated requests such a value (adding it when it was left out); `cases` goes
through every parameter and every such value, one at a time. So a number that overflows somewhere
(Kafka's client, a `bigint`, the calendar) shows up as a 5xx.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import schemathesis
from hypothesis import strategies as st

from services.common import topics

NUMBERS = ("99999999999999999999999999", "9223372036854775808", "9223372036854775807", "253402300800000",
           "2147483648", "4294967296", "-9223372036854775809", "1e400", "-0", "NaN", "\u0663", "\u00b2")  # fmt: skip
"""Past 64 bits, at its edge, past the calendar's year 9999 in milliseconds, past 32 bits; then lookalikes."""
Hook = Callable[[Any, dict[str, Any] | None], st.SearchStrategy[Any]]


def shapes(namespace: str) -> list[Callable[[str], str]]:
    """How a number reaches the gateway: as itself, in a `min_position` (with a topic or not), in a ledger cursor."""
    ledger = f"{namespace}{topics.LEDGER.base}"
    return [
        lambda number: number,
        lambda number: f"{ledger}:{number}:0",
        lambda number: f"{ledger}:0:{number}",
        lambda number: f"0:{number}",
        lambda number: base64.urlsafe_b64encode(f"v1:{number}".encode()).decode().rstrip("="),
    ]


def values(namespace: str, ascii_only: bool = False) -> list[str]:
    return [shape(n) for shape in shapes(namespace) for n in NUMBERS if n.isascii() or not ascii_only]


def cases(operation: schemathesis.APIOperation[Any, Any, Any, Any], namespace: str) -> Iterator[schemathesis.Case[Any]]:
    """The operation with each declared query, path and header parameter given each hostile value in turn, the
    rest plain: ids `x1`, reads that do not wait (`max_wait_ms=0`), a body `{}` where one is taken."""
    path = {p.name: "x1" for p in operation.path_parameters}
    query: dict[str, Any] = {"max_wait_ms": 0} if "max_wait_ms" in operation.query else {}
    body: dict[str, Any] = {"body": {}, "media_type": "application/json"} if len(operation.body) else {}
    for location in ("path_parameters", "query", "headers"):
        for parameter in getattr(operation, location):
            for value in values(namespace, ascii_only=location == "headers"):
                one = {parameter.name: value}
                yield operation.Case(path_parameters=path | one if location == "path_parameters" else path,
                                     query=query | one if location == "query" else query,
                                     headers=one if location == "headers" else {}, **body)  # fmt: skip


def giving_one(location: str, namespace: str, ascii_only: bool = False) -> Hook:
    """A flatmap hook: one declared parameter at `location` given a hostile value, or the parameters as generated."""
    numbers = [n for n in NUMBERS if n.isascii() or not ascii_only]
    hostile = st.tuples(st.sampled_from(shapes(namespace)), st.sampled_from(numbers)).map(lambda s: s[0](s[1]))

    def flatmap(context: Any, parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
        declared = sorted(p.name for p in getattr(context.operation, location, ()))
        if not declared:
            return st.just(parameters)
        given = st.tuples(st.sampled_from(declared), hostile).map(lambda pair: (parameters or {}) | {pair[0]: pair[1]})
        return st.one_of(given, st.just(parameters))

    return flatmap


def install(document: schemathesis.BaseSchema, namespace: str) -> None:
    document.hook("flatmap_query")(giving_one("query", namespace))
    document.hook("flatmap_path_parameters")(giving_one("path_parameters", namespace))
    document.hook("flatmap_headers")(giving_one("headers", namespace, ascii_only=True))
