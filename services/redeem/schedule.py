"""The redeem service's expiry schedule: when each customer of a partition next has points to expire
(`services.common.schedule`, under `\\x00expiry`).

The per-day buckets of earlier versions (`\\x00due\\x00{day}`, `\\x00due-days`), which grew with the
customers due on a day, are moved into the index one day per sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from services.common.schedule import Schedule
from services.common.statestore import StateView

LEGACY_DAYS = b"\x00due-days"
LEGACY_DAY = b"\x00due\x00"


def move_a_legacy_day(view: StateView, schedule: Schedule) -> None:
    """Lists the customers of the oldest per-day bucket of an earlier version, unless listed already."""
    days = sorted(int(d) for d in (view.get(LEGACY_DAYS) or b"").split(b",") if d)
    if not days:
        return
    bucket = LEGACY_DAY + str(days[0]).encode()
    for at, shop, customer in orjson.loads(view.get(bucket) or b"[]"):
        if not schedule.listed(view, (shop, customer)):
            schedule.put(view, (shop, customer), datetime.fromtimestamp(at, UTC))
    view.delete(bucket)
    if days[1:]:
        view.put(LEGACY_DAYS, ",".join(str(d) for d in days[1:]).encode())
    else:
        view.delete(LEGACY_DAYS)


EXPIRY = Schedule(b"\x00expiry", before_sweep=move_a_legacy_day)
put, due = EXPIRY.put, EXPIRY.due
