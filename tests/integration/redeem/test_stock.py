"""Reward stock on the real PostgreSQL: never oversold under concurrency, the same answer on a retry."""

from __future__ import annotations

import asyncio
import random

from services.common.database import create_pool
from services.redeem import stock


async def contend(database_url: str, schema: str, requests: list[tuple[str, int]], units: int) -> dict[str, bool]:
    """Every (redemption id, quantity) reserved at once from 20 connections; id -> granted."""
    pool = await create_pool(database_url, schema, min_size=20, max_size=20)

    async def one(redemption_id: str, quantity: int) -> tuple[str, bool]:
        async with pool.acquire() as conn:
            reservation = await stock.reserve(conn, "shop", "mug", redemption_id, quantity, units)
            return redemption_id, reservation.granted

    try:
        return dict(await asyncio.gather(*(one(r, q) for r, q in requests)))
    finally:
        await pool.close()


def test_five_hundred_customers_at_once_for_fifty_mugs_get_exactly_fifty(database_url: str, db_schema: str) -> None:
    requests = [(f"r-{i}", 1) for i in range(500)]
    granted = asyncio.run(contend(database_url, db_schema, requests, 50))
    assert sum(granted.values()) == 50
    assert asyncio.run(_reserved(database_url, db_schema)) == 50


def test_a_retried_decision_gets_its_first_answer_even_when_the_retries_race(database_url: str, db_schema: str) -> None:
    first = [(f"r-{i}", 1) for i in range(80)]
    before = asyncio.run(contend(database_url, db_schema, first, 50))
    retries = first * 3
    random.Random(5).shuffle(retries)
    again = asyncio.run(contend(database_url, db_schema, retries, 50))
    assert again == before
    assert asyncio.run(_reserved(database_url, db_schema)) == 50


def test_each_grant_gets_the_next_code_number_once_and_keeps_it(database_url: str, db_schema: str) -> None:
    async def numbers(ids: list[str]) -> list[int | None]:
        pool = await create_pool(database_url, db_schema, min_size=5, max_size=5)

        async def one(redemption_id: str) -> int | None:
            async with pool.acquire() as conn:
                return (await stock.reserve(conn, "shop", "mug", redemption_id, 1, 10)).code_index

        try:
            return list(await asyncio.gather(*(one(r) for r in ids)))
        finally:
            await pool.close()

    ids = [f"r-{i}" for i in range(12)]
    first = asyncio.run(numbers(ids))
    assert sorted(n for n in first if n is not None) == list(range(10))
    assert first.count(None) == 2
    assert asyncio.run(numbers(ids)) == first


def test_quantities_never_overshoot_and_a_release_gives_units_back_once(database_url: str, db_schema: str) -> None:
    requests = [(f"r-{i}", 1 + i % 3) for i in range(100)]
    granted = asyncio.run(contend(database_url, db_schema, requests, 50))
    taken = sum(q for r, q in requests if granted[r])
    assert 48 <= taken <= 50  # nothing above the stock; a request of 2 or 3 may not fit the last units

    async def release_twice(redemption_id: str) -> list[bool]:
        pool = await create_pool(database_url, db_schema, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                return [await stock.release(conn, "shop", redemption_id) for _ in range(2)]
        finally:
            await pool.close()

    released = next(r for r, _ in requests if granted[r])
    assert asyncio.run(release_twice(released)) == [True, False]
    assert asyncio.run(_reserved(database_url, db_schema)) == taken - dict(requests)[released]


async def _reserved(database_url: str, schema: str) -> int:
    pool = await create_pool(database_url, schema, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await stock.reserved(conn, "shop", "mug")
    finally:
        await pool.close()
