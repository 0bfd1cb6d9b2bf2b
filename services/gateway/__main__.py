"""Runs the gateway API: `python -m services.gateway` (GATEWAY_HOST, default 127.0.0.1; GATEWAY_PORT, 8000).

The metrics are served apart, on METRICS_PORT (9100; 0 turns them off) at METRICS_HOST, never on the
API's port: they name every shop and its liability. uvicorn reads `X-Forwarded-For` only from
TRUSTED_PROXIES: by default the peer is the client.
"""

from __future__ import annotations

import uvicorn

from services.common import metrics
from services.common.credential_check import refuse_weak_credentials
from services.common.logs import configure_logging
from services.common.settings import settings
from services.gateway.app import create_app
from services.gateway.settings import gateway_settings
from services.gateway.write_settings import write_settings


def main() -> None:
    configure_logging("gateway")
    refuse_weak_credentials("the gateway", settings(), admin_keys=gateway_settings().admin_api_keys,
                            webhook_secrets=write_settings().shopify_webhook_secrets)  # fmt: skip
    port_of_metrics = settings().metrics_port
    metrics.serve(9100 if port_of_metrics is None else port_of_metrics)
    host, port = gateway_settings().gateway_host, gateway_settings().gateway_port
    proxies = gateway_settings().trusted_proxies.strip()
    uvicorn.run(create_app(), host=host, port=port, log_config=None, access_log=False,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)  # fmt: skip


if __name__ == "__main__":
    main()
