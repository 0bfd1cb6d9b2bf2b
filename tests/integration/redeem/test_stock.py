"""Reward stock on the real PostgreSQL: never oversold under concurrency, the same answer on a retry, a
reservation its customer's, and one not used given back."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import pytest

from services.common.database import connect, create_pool
from services.redeem import stock
from services.redeem.batch_reservations import Answer, Ask
from services.schema import migrations

T = TypeVar("T")


def customer_of(redemption_id: str) -> str:
    return f"customer-of-{redemption_id}"


async def contend(database_url: str, schema: str, requests: list[tuple[str, int]], units: int) -> dict[str, bool]:
    """Every (redemption id, quantity) reserved at once from 20 connections, each by its own customer; id ->
    granted."""
    pool = await create_pool(database_url, schema, min_size=20, max_size=20)

    async def one(redemption_id: str, quantity: int) -> tuple[str, bool]:
        async with pool.acquire() as conn:
            customer = customer_of(redemption_id)
            reservation = await stock.reserve(conn, "shop", customer, 0, "mug", redemption_id, quantity, units)
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
                return (await stock.reserve(conn, "shop", "ada", 0, "mug", redemption_id, 1, 10)).code_index

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
                return [await stock.release(conn, "shop", customer_of(redemption_id), redemption_id) for _ in range(2)]
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


async def on(database_url: str, schema: str | None, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    conn = await connect(database_url, schema)
    try:
        return await work(conn)
    finally:
        await conn.close()


def test_another_customers_request_for_a_reserved_redemption_id_is_told_it_is_taken_even_racing(
    database_url: str, db_schema: str
) -> None:
    async def race() -> list[stock.Reservation]:
        pool = await create_pool(database_url, db_schema, min_size=10, max_size=10)

        async def one(customer: str) -> stock.Reservation:
            async with pool.acquire() as conn:
                return await stock.reserve(conn, "shop", customer, 0, "coupon", "red-1", 1, None)

        try:
            return list(await asyncio.gather(*(one(f"c{i % 10}") for i in range(40))))
        finally:
            await pool.close()

    answers = asyncio.run(race())
    owners = {f"c{i % 10}" for i, a in enumerate(answers) if not a.taken}
    assert len(owners) == 1, "one customer owns the id"
    assert all(a.granted and not a.taken for i, a in enumerate(answers) if f"c{i % 10}" in owners)
    assert all(a == stock.Reservation(False, None, True) for i, a in enumerate(answers) if f"c{i % 10}" not in owners)
    [owner] = owners
    other = next(c for c in (f"c{i}" for i in range(10)) if c != owner)
    assert not asyncio.run(on(database_url, db_schema, lambda c: stock.release(c, "shop", other, "red-1")))
    assert asyncio.run(on(database_url, db_schema, lambda c: stock.reserved(c, "shop", "coupon"))) == 1


def test_a_grant_given_back_and_asked_for_again_takes_its_units_again_only_if_some_are_left(
    database_url: str, db_schema: str
) -> None:
    async def story(conn: asyncpg.Connection) -> list[object]:
        first = await stock.reserve(conn, "shop", "ada", 0, "mug", "red-1", 1, 1)
        released = await stock.release(conn, "shop", "ada", "red-1")
        again = await stock.reserve(conn, "shop", "ada", 0, "mug", "red-1", 1, 1)  # decided anew: approved
        after_again = await stock.reserved(conn, "shop", "mug")
        await stock.release(conn, "shop", "ada", "red-1")
        bob = await stock.reserve(conn, "shop", "bob", 0, "mug", "red-2", 1, 1)  # takes the last unit
        late = await stock.reserve(conn, "shop", "ada", 0, "mug", "red-1", 1, 1)
        return [first.granted, released, again.granted, after_again, bob.granted, late.granted,
                await stock.reserved(conn, "shop", "mug")]  # fmt: skip

    assert asyncio.run(on(database_url, db_schema, story)) == [True, True, True, 1, True, False, 1]


def test_reconciliation_settles_what_the_read_model_approved_and_lists_only_old_unconfirmed_grants_of_its_partition(
    database_url: str, db_schema: str
) -> None:
    async def story(conn: asyncpg.Connection) -> tuple[int, list[str], list[str], list[str]]:
        for customer, redemption, partition in [("ada", "approved", 0), ("ada", "dead", 0), ("bob", "bobs", 1),
                                                ("ada", "fresh", 0)]:  # fmt: skip
            await stock.reserve(conn, "shop", customer, partition, "mug", redemption, 1, None)
        await conn.execute("UPDATE reward_reservations SET touched_at = now() - interval '1 hour'"
                           " WHERE redemption_id <> 'fresh'")  # fmt: skip
        await conn.execute(
            "INSERT INTO redemptions (shop_id, redemption_id, customer_id, reward_id, status) VALUES"
            " ('shop', 'approved', 'ada', 'mug', 'approved'), ('shop', 'dead', 'ada', 'mug', 'pending')"
        )
        settled = await stock.settle_confirmed(conn, 0, 900)
        left = [h.redemption_id for h in await stock.unsettled(conn, 0, 900, 10)]
        await stock.settle(conn, await stock.unsettled(conn, 1, 900, 10))
        bobs = [h.redemption_id for h in await stock.unsettled(conn, 1, 900, 10)]
        recent = [h.redemption_id for h in await stock.unsettled(conn, 0, 0, 10)]
        return settled, left, bobs, recent

    settled, left, bobs, recent = asyncio.run(on(database_url, db_schema, story))
    assert (settled, left, bobs) == (1, ["dead"], [])
    assert sorted(recent) == ["dead", "fresh"]


def test_reservations_made_before_they_had_customers_take_their_customer_from_the_read_model(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = f"t_{uuid.uuid4().hex[:10]}"
    before = [path for path in migrations.available() if path.name < "0012"]
    monkeypatch.setattr(migrations, "available", lambda: before)
    asyncio.run(migrations.migrate(database_url, schema))

    async def legacy(conn: asyncpg.Connection) -> None:
        for redemption in ("red-1", "red-2", "red-3"):
            await conn.fetch("SELECT * FROM reserve_reward('shop', 'mug', $1, 1, NULL)", redemption)
        await conn.execute(
            "INSERT INTO redemptions (shop_id, redemption_id, customer_id, reward_id, status) VALUES"
            " ('shop', 'red-1', 'ada', 'mug', 'approved'), ('shop', 'red-2', 'bob', 'mug', 'pending')"
        )

    try:
        asyncio.run(on(database_url, schema, legacy))
        monkeypatch.undo()
        asyncio.run(migrations.migrate(database_url, schema))

        async def after(conn: asyncpg.Connection) -> list[object]:
            rows = await conn.fetch(
                "SELECT redemption_id, customer_id, settled FROM reward_reservations ORDER BY redemption_id"
            )
            return [
                [tuple(r) for r in rows],
                await stock.reserve(conn, "shop", "eve", 0, "mug", "red-2", 1, None),
                await stock.reserve(conn, "shop", "eve", 0, "mug", "red-3", 1, None),  # claimed by its next ask
            ]

        rows, bob_s, claimed = asyncio.run(on(database_url, schema, after))
        assert rows == [("red-1", "ada", True), ("red-2", "bob", False), ("red-3", None, False)]
        assert bob_s == stock.Reservation(False, None, True)
        assert claimed == stock.Reservation(True, 2, False)
    finally:
        asyncio.run(on(database_url, None, lambda c: c.execute(f'DROP SCHEMA "{schema}" CASCADE')))


def asks(batch: str, reward: str, count: int, units: int | None, quantity: int = 1) -> list[Ask]:
    return [Ask("shop", f"{batch}-c{i}", 0, reward, f"{batch}-r{i}", quantity, units) for i in range(count)]


def test_concurrent_batches_reserving_the_same_rewards_in_opposite_orders_never_oversell_nor_deadlock(
    database_url: str, db_schema: str
) -> None:
    """Batches of several instances, each reward asked in a different order by each: every batch waits its turn."""

    async def instances() -> list[list[Answer]]:
        pool = await create_pool(database_url, db_schema, min_size=8, max_size=8)

        async def instance(n: int) -> list[Answer]:
            mugs, caps = asks(f"i{n}-mug", "mug", 40, 50), asks(f"i{n}-cap", "cap", 40, 30)
            mixed = [a for pair in zip(mugs, caps, strict=True) for a in pair]
            async with pool.acquire() as conn:
                return await stock.reserve_all(conn, mixed if n % 2 else mixed[::-1])

        try:
            return list(await asyncio.gather(*(instance(n) for n in range(8))))
        finally:
            await pool.close()

    answers = [a for batch in asyncio.run(instances()) for a in batch]
    assert sum(a.reservation.granted for a in answers) == 80
    assert all(a.fresh == a.reservation.granted for a in answers)
    assert asyncio.run(on(database_url, db_schema, lambda c: stock.reserved(c, "shop", "mug"))) == 50
    assert asyncio.run(on(database_url, db_schema, lambda c: stock.reserved(c, "shop", "cap"))) == 30


def test_a_batch_answers_as_the_same_asks_one_at_a_time_and_a_retried_batch_gets_its_first_answers(
    database_url: str, db_schema: str
) -> None:
    """The same story for two rewards of 5 units: one asked in a batch, the other one request at a time."""
    story = [(0, 2), (1, 1), (0, 1), (2, 3), (1, 1), (3, 1), (4, 1), (0, 1)]  # (customer, quantity), ids repeat

    def story_of(reward: str) -> list[Ask]:
        return [
            Ask("shop", f"c{c}", 0, reward, f"{reward}-{c}-{i if c else 0}", q, 5) for i, (c, q) in enumerate(story)
        ]

    async def run(conn: asyncpg.Connection) -> tuple[list[Answer], list[stock.Reservation], list[Answer]]:
        batched = await stock.reserve_all(conn, story_of("mug"))
        one_by_one = [await stock.reserve(conn, a.shop_id, a.customer_id, 0, a.reward_id, a.redemption_id,
                                          a.quantity, a.units) for a in story_of("cap")]  # fmt: skip
        again = await stock.reserve_all(conn, story_of("mug"))
        return batched, one_by_one, again

    batched, one_by_one, again = asyncio.run(on(database_url, db_schema, run))
    assert [a.reservation for a in batched] == one_by_one
    assert [a.reservation for a in again] == [a.reservation for a in batched]
    assert not any(a.fresh for a in again)
    assert asyncio.run(on(database_url, db_schema, lambda c: stock.reserved(c, "shop", "mug"))) == 5


def test_a_batchs_unused_grants_go_back_once_in_one_call_and_a_batch_of_nothing_asks_nothing(
    database_url: str, db_schema: str
) -> None:
    async def run(conn: asyncpg.Connection) -> list[object]:
        answers = await stock.reserve_all(conn, asks("b", "mug", 6, 10, quantity=2))
        unused = [a.grant for a in asks("b", "mug", 6, 10)[:3]] + [("shop", "someone-else", "b-r4")]
        first = await stock.release_all(conn, unused)
        second = await stock.release_all(conn, unused)
        return [sum(a.reservation.granted for a in answers), first, second, await stock.reserved(conn, "shop", "mug"),
                await stock.reserve_all(conn, []), await stock.release_all(conn, [])]  # fmt: skip

    assert asyncio.run(on(database_url, db_schema, run)) == [5, 3, 0, 4, [], 0]


def test_racing_batches_of_the_same_redemption_ids_reserve_each_once_for_its_first_customer(
    database_url: str, db_schema: str
) -> None:
    """Retries of one batch racing each other (a fenced instance and its successor), and another customer's
    batch reusing the same ids: one customer per id, its answers the same in every batch, each unit once."""
    ids = [f"red-{i}" for i in range(30)]

    async def race() -> list[tuple[str, list[Answer]]]:
        pool = await create_pool(database_url, db_schema, min_size=6, max_size=6)

        async def batch(customer: str) -> tuple[str, list[Answer]]:
            async with pool.acquire() as conn:
                return customer, await stock.reserve_all(conn, [Ask("shop", customer, 0, "mug", r, 1, 20) for r in ids])

        try:
            return list(await asyncio.gather(*(batch(c) for c in ("ada", "ada", "ada", "bob", "bob", "eve"))))
        finally:
            await pool.close()

    answers = asyncio.run(race())
    for n in range(len(ids)):
        owners = {customer for customer, batch in answers if not batch[n].reservation.taken}
        assert len(owners) == 1
        kept = {batch[n].reservation for customer, batch in answers if customer in owners}
        assert len(kept) == 1
        assert sum(batch[n].fresh for _, batch in answers) == int(next(iter(kept)).granted)
    assert asyncio.run(on(database_url, db_schema, lambda c: stock.reserved(c, "shop", "mug"))) == 20
