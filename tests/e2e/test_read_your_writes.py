"""Read-your-writes through every process: a read with a write's `min_position` reflects that write at once."""

from __future__ import annotations

import httpx

from tests.conftest import ProcessFactory
from tests.e2e.test_first_slice import KEY, order


def test_a_balance_read_with_the_writes_positions_already_shows_the_points(
    services: ProcessFactory, gateway: str
) -> None:
    for service in ("services.earn", "services.redeem", "services.tier", "services.projector"):
        services(service)
    for round_ in range(3):
        batch = [order(f"ryw-{round_}-{n}", "grace", 2_000) for n in range(5)]  # below silver: no multiplier
        published = httpx.post(f"{gateway}/v1/events", json=batch, headers=KEY, timeout=30)
        assert published.status_code == 202, published.text
        wanted = ",".join(published.json()["positions"])
        read = httpx.get(
            f"{gateway}/v1/customers/grace/balance",
            params={"min_position": wanted, "max_wait_ms": 20_000},
            headers=KEY,
            timeout=30,
        )
        assert read.status_code == 200, read.text
        assert read.json()["available"] == 100 * (round_ + 1)


def test_a_balances_own_position_reads_no_older_view_and_the_ledger_agrees(
    services: ProcessFactory, gateway: str
) -> None:
    for service in ("services.earn", "services.redeem", "services.tier", "services.projector"):
        services(service)
    published = httpx.post(f"{gateway}/v1/events", json=order("ryw-ledger", "lin", 2_500), headers=KEY, timeout=30)
    wanted = {"min_position": published.json()["positions"][0], "max_wait_ms": 20_000}
    balance = httpx.get(f"{gateway}/v1/customers/lin/balance", params=wanted, headers=KEY, timeout=30).json()
    assert balance["available"] == 25
    ledger = httpx.get(
        f"{gateway}/v1/customers/lin/ledger",
        params={"min_position": balance["position"], "max_wait_ms": 5_000},
        headers=KEY,
        timeout=30,
    )
    assert ledger.status_code == 200, ledger.text
    assert [e["points"] for e in ledger.json()["entries"]] == [25]


def test_a_view_that_cannot_catch_up_in_time_is_a_409_saying_what_is_behind(
    services: ProcessFactory, gateway: str
) -> None:
    services("services.earn")  # no projector: the read model never moves
    published = httpx.post(f"{gateway}/v1/events", json=order("ryw-stuck", "ode", 1_000), headers=KEY, timeout=30)
    read = httpx.get(
        f"{gateway}/v1/customers/ode/balance",
        params={"min_position": published.json()["positions"][0], "max_wait_ms": 300},
        headers=KEY,
        timeout=30,
    )
    assert read.status_code == 409
    assert read.headers["Retry-After"] == "1"
    error = read.json()["error"]
    assert error["code"] == "view_behind"
    assert error["details"]["field"] == "min_position"


def test_a_position_no_read_model_follows_or_a_malformed_one_is_a_400(gateway: str) -> None:
    for wanted in ("loyalty.dlq:0:1", "not-a-position"):
        read = httpx.get(
            f"{gateway}/v1/customers/ode/balance", params={"min_position": wanted}, headers=KEY, timeout=10
        )
        assert read.status_code == 400, read.text
        assert read.json()["error"]["details"]["field"] == "min_position"


def test_nobody_unauthenticated_makes_the_gateway_wait(gateway: str) -> None:
    read = httpx.get(
        f"{gateway}/v1/customers/ode/balance", params={"min_position": "0:999999", "max_wait_ms": 30_000}, timeout=10
    )
    assert read.status_code == 401
