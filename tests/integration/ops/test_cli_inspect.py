"""`pointstream inspect` on real Kafka and PostgreSQL: the log's fold of a customer is what the API shows."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.cli.pointstream import main
from services.gateway import inspection
from tests.integration.gateway.conftest import api, app, auth, earned, produce_ledger, project_everything, shop_keys
from tests.integration.gateway.records import adjusted, expired, redeemed, restored, transferred

__all__ = ["api", "app", "shop_keys"]  # the gateway's fixtures, used here too
SOON = datetime.now(UTC) + timedelta(days=20)
LATER = datetime.now(UTC) + timedelta(days=5)
LEDGER: list[Any] = [
    earned(1, "ada", 100), earned(2, "ada", 50, expires_at=SOON), earned(3, "ada", 30),
    earned(4, "ada", 70, available_at=LATER), earned(9, "bo", 999), redeemed(5, "ada", "red-1", [(2, 50), (1, 20)]),
    restored(6, "ada", "red-1", [(2, 10)]),
    expired(7, "ada", 3, 30), adjusted(8, "ada", 40), transferred(10, "ada", -10, [(1, 10)]),
    earned(1, "ada", 100),
]  # fmt: skip


async def test_inspect_folds_the_customers_log_to_the_balance_and_ledger_the_api_shows(
    api: httpx.AsyncClient, database_url: str, db_schema: str
) -> None:
    await asyncio.to_thread(produce_ledger, LEDGER)
    await asyncio.to_thread(project_everything, database_url, db_schema)
    balance = (await api.get("/v1/customers/ada/balance", headers=auth("north"))).json()
    ledger = (await api.get("/v1/customers/ada/ledger", headers=auth("north"))).json()["entries"]

    found = inspection.as_json(await asyncio.to_thread(inspection.inspect, "north", "ada", datetime.now(UTC)))

    totals = found["totals"]
    for name in ("available", "pending", "lifetime_earned", "redeemed", "expired", "adjusted", "transferred_out"):
        assert totals[name] == balance[name], name
    assert found["position"] == balance["position"]
    assert found["duplicates"] == 1
    shown = [(e["entry_id"], e["kind"], e["points"], e["balance_after"]) for e in reversed(found["entries"])]
    assert shown == [(e["entry_id"], e["kind"], e["points"], e["balance_after"]) for e in ledger]
    live = sorted((lot["remaining"], lot["expires_at"]) for lot in found["lots"] if lot["remaining"])
    assert live == sorted((lot["points"], datetime.fromisoformat(lot["expires_at"])) for lot in balance["expiring"])


def test_inspect_prints_entries_lots_and_totals_or_json(namespace: str, capsys: pytest.CaptureFixture[str]) -> None:
    produce_ledger(LEDGER[:2])
    main(["inspect", "north", "ada"])
    text = capsys.readouterr().out
    assert "earned" in text
    assert "entry-2" in text
    assert "available 150" in text
    main(["inspect", "north", "ada", "--json"])
    assert json.loads(capsys.readouterr().out)["totals"]["lifetime_earned"] == 150
