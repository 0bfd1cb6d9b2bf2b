"""A processor running on a thread of the test, stopped and joined when the test leaves it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from services.common.processor import Processor


@contextmanager
def running(processor: Processor) -> Iterator[Processor]:
    thread = threading.Thread(target=processor.run, daemon=True)
    thread.start()
    try:
        yield processor
    finally:
        processor.stop()
        thread.join(30)
