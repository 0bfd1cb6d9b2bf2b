"""Runs the earn service: `python -m services.earn`."""

from __future__ import annotations

from services.common import metrics
from services.common.logs import configure_logging
from services.common.processor import Processor
from services.common.settings import settings
from services.earn.processor import config


def main() -> None:
    configure_logging("earn")
    metrics.serve(9101 if settings().metrics_port is None else settings().metrics_port)
    Processor(config(settings().batch_size)).run()


if __name__ == "__main__":
    main()
