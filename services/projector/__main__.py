"""Runs the projector: `python -m services.projector` (metrics on METRICS_PORT, else PROJECTOR_METRICS_PORT)."""

from __future__ import annotations

import signal

from services.common import metrics
from services.common.credential_check import refuse_weak_credentials
from services.common.logs import configure_logging
from services.common.settings import settings
from services.projector.projector import Projector
from services.readmodels import postgres


def main() -> None:
    configure_logging("projector")
    refuse_weak_credentials("the projector", settings(), secrets=False)
    port = settings().metrics_port
    metrics.serve(settings().projector_metrics_port if port is None else port)
    projector = Projector(settings().database_url, postgres.configured_schema())
    signal.signal(signal.SIGTERM, lambda *_: projector.stop())
    signal.signal(signal.SIGINT, lambda *_: projector.stop())
    projector.run()


if __name__ == "__main__":
    main()
