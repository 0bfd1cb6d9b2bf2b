"""The gateway's metrics name every shop and its liability: they are served on a port of their own, not the API's."""

from __future__ import annotations

import httpx

from tests.conftest import ProcessFactory, free_port, wait_ready
from tests.integration.gateway.conftest import auth


def test_the_metrics_are_on_the_metrics_port_and_not_on_the_api(services: ProcessFactory) -> None:
    api_port, metrics_port = free_port(), free_port()
    services("services.gateway", GATEWAY_PORT=str(api_port), METRICS_PORT=str(metrics_port))
    api = f"http://127.0.0.1:{api_port}"
    wait_ready(api)
    assert httpx.get(f"{api}/v1/program", headers=auth("north"), timeout=10).status_code == 200
    assert httpx.get(f"{api}/metrics", timeout=10).status_code == 404
    scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
    assert scraped.status_code == 200
    assert 'pointstream_gateway_requests_total{method="GET",route="/v1/program",status="200"}' in scraped.text
