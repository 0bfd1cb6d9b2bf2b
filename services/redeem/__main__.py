"""Runs the redeem service: `python -m services.redeem` (and its expiry ticker)."""

from __future__ import annotations

import signal

from services.common import kafka, metrics
from services.common.credential_check import refuse_weak_credentials
from services.common.database import configured_schema
from services.common.logs import configure_logging
from services.common.processor import Processor
from services.common.programs import ProgramTable
from services.common.settings import settings
from services.redeem.processor import config
from services.redeem.reward_stock import Stock
from services.redeem.rewards import RewardTable
from services.redeem.ticks import Ticker


def main() -> None:
    configure_logging("redeem")
    refuse_weak_credentials("redeem", settings())
    port = settings().metrics_port
    metrics.serve(9102 if port is None else port)
    programs, rewards = ProgramTable(), RewardTable()
    programs.catch_up()
    rewards.catch_up()

    def refresh() -> None:
        programs.refresh()
        rewards.refresh()

    stock = Stock(settings().database_url, configured_schema())
    processor = Processor(config(programs.book, rewards.book, stock, settings().batch_size, refresh))
    ticker = Ticker(kafka.producer(), settings().partitions, settings().expiry_tick_seconds)
    ticker.start()
    signal.signal(signal.SIGTERM, lambda *_: processor.stop())
    signal.signal(signal.SIGINT, lambda *_: processor.stop())
    try:
        processor.run()
    finally:
        ticker.stop()


if __name__ == "__main__":
    main()
