"""The bench's peer credits what earn credits: every order once, by earn's own rules, whatever the duplicates."""

from __future__ import annotations

import asyncio

import asyncpg

from services.loadgen.traffic import orders
from tests.bench import peer


async def peer_schemas(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        return {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'peer_%'")}
    finally:
        await conn.close()


def test_the_peer_folds_to_earns_balances_and_leaves_no_schema_behind(database_url: str) -> None:
    events = list(orders(600, seed=5, duplicate_rate=0.1))
    before = asyncio.run(peer_schemas(database_url))
    found = peer.throughput(events, workers=2)
    assert found["balances_differing_from_the_fold"] == 0
    assert found["credited"] == len({record["event_id"] for _, record in events})
    assert found["events_per_s"] > 0
    assert found["cpu_us_per_event"] > 0
    assert asyncio.run(peer_schemas(database_url)) <= before
