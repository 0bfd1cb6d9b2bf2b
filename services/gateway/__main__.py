"""Runs the gateway API: `python -m services.gateway` (GATEWAY_HOST, default 127.0.0.1; GATEWAY_PORT, 8000).

uvicorn reads `X-Forwarded-For` only from TRUSTED_PROXIES: by default the peer is the client.
"""

from __future__ import annotations

import os

import uvicorn

from services.common.logs import configure_logging
from services.gateway.app import create_app
from services.gateway.settings import gateway_settings


def main() -> None:
    configure_logging("gateway")
    host, port = os.environ.get("GATEWAY_HOST", "127.0.0.1"), int(os.environ.get("GATEWAY_PORT", "8000"))
    proxies = gateway_settings().trusted_proxies.strip()
    uvicorn.run(create_app(), host=host, port=port, log_config=None, access_log=False,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)  # fmt: skip


if __name__ == "__main__":
    main()
