"""The dashboards and alerts against the real thing: the services under demo traffic, scraped by Prometheus.

Given earn, tier, the projector and the gateway as processes with demo traffic and a few requests,
when a private Prometheus scrapes them with deploy/prometheus/alerts.yml loaded,
then every panel query of every dashboard is valid and returns series, every variable has values,
every alert expression is valid and every rule evaluates without error; and the dead letters the
demo sends on purpose fire their alert.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ProcessFactory, free_port, wait_ready
from tests.integration.ops import prometheus
from tests.unit.ops.deployfiles import ALERTS, DASHBOARDS, alert_rules, dashboard, panel_targets

PROCESSORS = {
    "earn": "services.earn",
    "tier": "services.tier",
    "redeem": "services.redeem",
    "projector": "services.projector",
}
GRAFANA = {"__rate_interval": "15s", "__interval": "5s", "__range": "2m"}
"""What Grafana puts in its own variables for a 1 s scrape interval and a short time range."""
DEADLINE_S = 75


def resolved(expr: str) -> str:
    """The query Grafana sends with every dashboard variable at "All" (the regex `.*`)."""
    expr = re.sub(r"\$\{?(__rate_interval|__interval|__range)\b\}?", lambda m: GRAFANA[m[1]], expr)
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


@pytest.fixture(autouse=True)
def program_counted_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway counts members and liability every 2 s, so their panels have series within the deadline."""
    monkeypatch.setenv("PROGRAM_METRICS_SECONDS", "2")


@pytest.fixture
def demo_traffic(namespace: str, tmp_path: Path) -> Iterator[int]:
    """The demo traffic generator, faster and with more bad records than `make run`; yields its metrics port."""
    port = free_port()
    log = (tmp_path / "loadgen.log").open("wb")
    args = ["--rate", "150", "--bad-rate", "0.03", "--metrics-port", str(port)]
    process = subprocess.Popen([sys.executable, "-m", "services.loadgen", *args], env=dict(os.environ), stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    yield port
    process.kill()
    process.wait()
    log.close()


@pytest.fixture
def gateway_ports(services: ProcessFactory) -> tuple[str, int]:
    """The gateway, its metrics on a port of their own (not the API's): its URL and that port. Failed
    authentications are not limited, so the client below keeps getting its 401s."""
    port, metrics_port = free_port(), free_port()
    services("services.gateway", GATEWAY_PORT=str(port), METRICS_PORT=str(metrics_port), AUTH_FAILURES_PER_SECOND="0")
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return url, metrics_port


@pytest.fixture
def gateway(gateway_ports: tuple[str, int]) -> str:
    return gateway_ports[0]


@pytest.fixture
def requests_to(gateway: str) -> Iterator[None]:
    """A client's requests, answered 200, 401, 404 and 422, until the test ends."""
    stop = threading.Event()
    shop = {"Authorization": "Bearer demo-shop-key"}

    def send() -> None:
        with httpx.Client(base_url=gateway, timeout=5) as http:
            while not stop.is_set():
                try:
                    http.get("/readyz")
                    http.get("/v1/customers/c0/balance", headers=shop)
                    http.get("/v1/customers/c0/ledger", headers=shop)
                    http.get("/v1/customers/c0/balance")
                    http.get("/no-such-route")
                    http.post("/v1/events", headers=shop, json={"type": "OrderPaid"})
                except httpx.HTTPError:
                    pass
                stop.wait(0.2)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)


def test_every_dashboard_query_returns_series_and_every_alert_rule_evaluates(
    services: ProcessFactory, gateway_ports: tuple[str, int], demo_traffic: int, requests_to: None, tmp_path: Path
) -> None:
    started = time.monotonic()
    ports = {name: free_port() for name in PROCESSORS}
    for name, module in PROCESSORS.items():
        services(module, METRICS_PORT=str(ports[name]))
    targets = ports | {"gateway": gateway_ports[1], "loadgen": demo_traffic}

    with prometheus.running(targets, ALERTS, tmp_path) as server:
        down: list[str] = []
        empty: list[str] = []
        firing: set[str] = set()
        while time.monotonic() - started < DEADLINE_S:
            down = [t["labels"]["job"] for t in server.targets() if t["health"] != "up"]
            empty = [f"{board} / {title}: {expr}" for board, title, expr in panel_targets()
                     if not answer(server, expr)["data"]["result"]]  # fmt: skip
            firing = {a["labels"]["alertname"] for a in server.http.get("/api/v1/alerts").json()["data"]["alerts"]
                      if a["state"] == "firing"}  # fmt: skip
            if not down and not empty and "PointstreamDeadLettersReceiving" in firing:
                break
            time.sleep(2)
        assert down == [], f"targets not scraped: {down}"
        assert empty == [], "panels without series:\n" + "\n".join(empty)
        assert "PointstreamDeadLettersReceiving" in firing, "the demo's bad records did not fire their alert"
        assert "PointstreamServiceDown" not in firing

        for path in DASHBOARDS:
            for variable in dashboard(path)["templating"]["list"]:
                if variable["type"] == "query":
                    match = re.fullmatch(r"label_values\((\w+), (\w+)\)", variable["definition"])
                    assert match, variable["definition"]
                    metric, label = match.groups()
                    assert server.label_values(label, metric), f"{path.name}: variable {variable['name']} is empty"

        for rule in alert_rules():
            answer(server, rule["expr"])
        rules = {rule["name"]: rule for rule in server.rules()}
        assert set(rules) == {rule["alert"] for rule in alert_rules()}
        assert {name: r["lastError"] for name, r in rules.items() if r["health"] != "ok"} == {}


def answer(server: prometheus.Prometheus, expr: str) -> dict[str, Any]:
    response = server.query(resolved(expr))
    assert response["status"] == "success", f"invalid query {expr!r}: {response.get('error')}"
    return response
