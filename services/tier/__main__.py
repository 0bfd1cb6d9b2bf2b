"""Runs the tier service: `python -m services.tier`."""

from __future__ import annotations

import signal

from services.common import metrics
from services.common.logs import configure_logging
from services.common.processor import Processor
from services.common.programs import ProgramTable
from services.common.settings import settings
from services.tier.processor import config


def main() -> None:
    configure_logging("tier")
    port = settings().metrics_port
    metrics.serve(9103 if port is None else port)
    programs = ProgramTable()
    programs.catch_up()
    processor = Processor(config(programs, settings().batch_size))
    signal.signal(signal.SIGTERM, lambda *_: processor.stop())
    signal.signal(signal.SIGINT, lambda *_: processor.stop())
    processor.run()


if __name__ == "__main__":
    main()
