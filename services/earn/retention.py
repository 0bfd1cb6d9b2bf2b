"""How long earn remembers what it applied, so that its state is bounded by its windows, not by history. Pure.

Each kept record expires at a moment of event time; the partition's clock is the latest event time its
inputs carry (an event dated in the future counts at most FUTURE_TOLERANCE_SECONDS past its record's time
in the log, so it cannot push the clock on):

- an event applied (its marker): `duplicates` (DEDUP_WINDOW_DAYS, 30) after its event time;
- an order (what it earned, its refunds, the refunds waiting for it): `refunds` (REFUND_WINDOW_DAYS, 400)
  after its latest event, its payment or a refund;
- a `(task, ref)` of a task limited per day or per year: its period's end, plus `duplicates`, plus two days
  (a program version in another time zone ends the same local day or year up to 26 hours later); of a task
  that pays once per ref, for ever (it grows with the refs a customer completes, like their lots).

An input dated before the clock less `duplicates` is refused (`beyond`): its marker may be gone, so it
cannot be told from a duplicate. Nothing is credited twice: an accepted input is dated at or after the
clock less `duplicates`, so its marker, kept `duplicates` past its event time, has not expired; nor is an
order paid twice under another event id while `refunds` is at least `duplicates` (settings enforce it):
a copy dated like the order falls outside the duplicate window before the order is forgotten. A refund
of an order forgotten is taken for one that came before its order: it waits, for `refunds`, and claws
back nothing (the points stay credited: never a second credit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.earn.commands import TaskCompleted
from services.program import Program

A_DAY = timedelta(days=1)
ZONES_APART = timedelta(days=2)
"""More than the 26 hours between the first and the last zone to end a local day (UTC+14 and UTC-12)."""


@dataclass(frozen=True)
class Windows:
    duplicates: timedelta = timedelta(days=30)
    refunds: timedelta = timedelta(days=400)


WINDOWS = Windows()


def beyond(occurred_at: datetime, clock: datetime | None, windows: Windows) -> str | None:
    """Why an input dated `occurred_at` is refused at the partition's `clock`; None when it is decided."""
    if clock is None or occurred_at >= clock - windows.duplicates:
        return None
    return (
        f"older than the {windows.duplicates.days}-day duplicate window: it cannot be told from a duplicate "
        f"(dated {occurred_at:%Y-%m-%d %H:%M:%S}, its partition has reached {clock:%Y-%m-%d %H:%M:%S} UTC)"
    )


def seen_until(occurred_at: datetime, windows: Windows) -> datetime:
    """When the marker of an event applied may go."""
    return occurred_at + windows.duplicates


def order_until(occurred_at: datetime, windows: Windows) -> datetime:
    """When an order may go, after an event about it (its payment or a refund) at `occurred_at`."""
    return occurred_at + windows.refunds


def task_ref_until(task: TaskCompleted, program: Program, windows: Windows) -> datetime | None:
    """When the `(task, ref)` a task used up may go; None: kept for ever (a task that pays once per ref)."""
    rule = program.tasks.get(task.task)
    if rule is None:
        return None
    local = task.occurred_at.astimezone(program.zone)
    if rule.per_day is not None:
        end = datetime(local.year, local.month, local.day, tzinfo=program.zone) + A_DAY
    elif rule.per_year is not None:
        end = datetime(local.year + 1, 1, 1, tzinfo=program.zone)
    else:
        return None
    return end + windows.duplicates + ZONES_APART
