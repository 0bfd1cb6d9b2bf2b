"""Runs the gateway API: `python -m services.gateway` (GATEWAY_HOST, default 127.0.0.1; GATEWAY_PORT, 8000)."""

from __future__ import annotations

import os

import uvicorn

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
    host, port = os.environ.get("GATEWAY_HOST", "127.0.0.1"), int(os.environ.get("GATEWAY_PORT", "8000"))
    uvicorn.run(create_app(), host=host, port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
