"""A request body is read whole up to the bound, and refused at the first chunk past it, however it is cut."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st
from starlette.types import Message, Receive

from services.gateway.requestbody import read_at_most, read_body, replaying


def arriving(chunks: list[bytes]) -> tuple[list[int], Receive]:
    """A receive handing out `chunks` (then a disconnect), and how many messages it was asked for."""
    asked: list[int] = []

    async def receive() -> Message:
        asked.append(1)
        if len(asked) <= len(chunks):
            return {"type": "http.request", "body": chunks[len(asked) - 1], "more_body": len(asked) < len(chunks)}
        return {"type": "http.disconnect"}

    return asked, receive


@given(st.lists(st.binary(max_size=50), min_size=1, max_size=20), st.integers(0, 600))
def test_a_body_within_the_bound_is_read_whole_and_one_past_it_is_cut_at_the_first_chunk_over(
    chunks: list[bytes], limit: int
) -> None:
    asked, receive = arriving(chunks)
    body = asyncio.run(read_at_most(receive, limit))
    whole = b"".join(chunks)
    if len(whole) <= limit:
        assert body == whole
    else:
        assert body is None
        sizes = [len(b"".join(chunks[:n])) for n in range(1, len(chunks) + 1)]
        assert len(asked) == next(n for n, size in enumerate(sizes, 1) if size > limit)


@given(st.binary(max_size=100))
def test_a_body_read_is_handed_on_whole_in_one_message_then_what_follows(body: bytes) -> None:
    _, receive = arriving([])
    again = replaying(body, receive)
    assert asyncio.run(read_body(again)) == body
    assert asyncio.run(next_message(again))["type"] == "http.disconnect"


async def next_message(receive: Receive) -> Message:
    return await receive()
