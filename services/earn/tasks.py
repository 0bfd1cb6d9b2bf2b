"""Completed tasks: the points a task of the program pays, within its limits. Pure."""

from __future__ import annotations

from services.earn.commands import TaskCompleted
from services.earn.credits import Earned, credit_entry
from services.earn.earnings import NO_HOURS, Earnings, ShopHours
from services.earn.events import Event, TaskCounted
from services.earn.validation import validate_task
from services.program import Program


def task_counted(task: TaskCompleted, program: Program) -> tuple[TaskCounted, int | None, str]:
    """What paying a task of the program uses up: its period counter (with the period's limit) and the
    `(task, ref)` that pays once, within its period for a task with a period limit (a birthday each year)."""
    rule = program.tasks[task.task]
    local = task.occurred_at.astimezone(program.zone)
    counter, most, period = None, None, ""
    if rule.per_day is not None:
        counter, most, period = f"{task.task}|{local.date().isoformat()}", rule.per_day, "a day"
    elif rule.per_year is not None:
        counter, most, period = f"{task.task}|{local.year}", rule.per_year, "a year"
    prefix = "" if counter is None else counter.rpartition("|")[2] + "|"
    once = f"{task.task}|{prefix}{task.ref or ''}" if task.ref is not None or counter is None else None
    return TaskCounted(counter, once), most, f"at most {most} times {period}"


def once_key(task: TaskCompleted, program: Program) -> str | None:
    """The `(task, ref)` a task of the program would use up, if it pays once: the state it needs loaded."""
    return task_counted(task, program)[0].once if task.task in program.tasks else None


def task_limit(task: TaskCompleted, state: Earnings, program: Program) -> tuple[TaskCounted, str | None]:
    """What paying this task uses up, and why it is not paid (None when it is)."""
    used, most, limit = task_counted(task, program)
    once = used.once
    if used.counter is not None and most is not None and state.task_counts.get(used.counter, 0) >= most:
        return used, f"{task.task} pays {limit}"
    if once is not None and once in state.task_refs:
        return used, f"{task.task}{f' {task.ref}' if task.ref else ''} was already paid"
    return used, None


def decide_task(
    task: TaskCompleted, state: Earnings, program: Program, shop: ShopHours = NO_HOURS, budget: int | None = None
) -> list[Event]:
    validate_task(task)
    if task.event_id in state.seen_event_ids:
        return []
    about = f" ({task.ref})" if task.ref else ""
    used: TaskCounted | None = None
    if task.task not in program.tasks:
        points, refused, reason = 0, 0, f"task {task.task}{about}: not in the program, no points"
    else:
        used, why_not = task_limit(task, state, program)
        rule_points = program.tasks[task.task].points
        points, refused = (0, rule_points) if why_not else (rule_points, 0)
        reason = f"task {task.task}{about}" + (f": {why_not}" if why_not else "")
        used = None if why_not else used
    earned = credit_entry(
        task, Earned(points=points, reason=reason, refused=refused, base_points=points), state, program, shop, budget
    )
    return [earned] if used is None else [earned, used]
