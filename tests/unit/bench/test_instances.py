"""Several instances of a processor: an INSTANCE_ID and a log each, kills spread over them, their CPU summed."""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.bench import instances, meter, procstat, table


@given(st.integers(0, 40), st.integers(1, 6), st.integers(0, 2**32))
def test_kills_spread_over_the_instances_each_killed_as_often_as_another_give_or_take_one(
    kills: int, count: int, seed: int
) -> None:
    order = instances.kill_order(random.Random(seed), kills, count)
    assert len(order) == kills
    assert set(order) <= set(range(count))
    hits = Counter(order)
    assert max(hits.values(), default=0) - min((hits[i] for i in range(count)), default=0) <= 1
    for whole in range(0, kills - kills % count, count):  # every round kills each instance once
        assert sorted(order[whole : whole + count]) == list(range(count))


def test_one_instance_is_killed_every_time_and_the_kill_times_stay_those_of_one_process() -> None:
    rng, untouched = random.Random(11), random.Random(11)
    assert instances.kill_order(rng, 5, 1) == [0] * 5
    assert rng.random() == untouched.random()


def test_the_kills_are_in_a_random_order() -> None:
    orders = {tuple(instances.kill_order(random.Random(seed), 6, 3)) for seed in range(20)}
    assert len(orders) > 1


def test_each_instance_has_its_own_id_and_several_log_beside_the_one_log_path() -> None:
    assert len(set(instances.ids(4))) == 4
    assert instances.ids(2) == instances.ids(2)
    assert instances.log_of("logs/gate.log", "instance-0", 1) == "logs/gate.log"
    assert instances.log_of("logs/gate.log", "instance-1", 2) == "logs/gate-instance-1.log"


def wait_for_lines(path: Path, lines: int) -> list[str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and len(found := path.read_text().splitlines()) >= lines:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{path} has fewer than {lines} lines")


def test_an_instance_restarted_after_a_kill_keeps_its_id_and_its_log(tmp_path: Path) -> None:
    says = "import os, time; print(os.environ['INSTANCE_ID'], os.environ['SHARED'], flush=True); time.sleep(60)"
    log = tmp_path / "service.log"
    with instances.running([sys.executable, "-c", says], str(log), 2, SHARED="yes") as running:
        first = running.pids
        assert wait_for_lines(tmp_path / "service-instance-0.log", 1) == ["instance-0 yes"]
        assert wait_for_lines(tmp_path / "service-instance-1.log", 1) == ["instance-1 yes"]
        running.kill_and_restart(1)
        assert running.pids[0] == first[0]
        assert running.pids[1] != first[1]
        assert wait_for_lines(tmp_path / "service-instance-1.log", 2) == ["instance-1 yes"] * 2
    assert all(proc.poll() is not None for proc in running.procs)
    assert not log.exists()


def test_one_instance_is_metered_from_its_first_progress() -> None:
    def progress() -> int:
        return 7

    assert instances.once_shared(progress, "any-group", 1) is progress


def test_a_meter_of_several_instances_sums_their_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    used = {101: iter([1.0, 3.0]), 102: iter([10.0, 11.0])}
    monkeypatch.setattr(procstat, "cpu_seconds", lambda pid: next(used[pid]))
    done = iter([5, 25])
    both = meter.Meter("earn", (101, 102), lambda: next(done), total=25)
    meter.watch([both], timeout_s=5, poll_s=0)
    found = both.figures()
    assert found["cpu_s"] == 3.0
    assert found["cpu_us_per_event"] == 3.0 * 1e6 / 20
    assert found["work_per_s"] == 20 / found["measured_seconds"]


def test_the_table_puts_several_instances_beside_one() -> None:
    one = {"measured_events_per_s": 4_000.0, "ratio_to_ceiling": 0.05, "cpu_us_per_event": 250.0}
    two = {"measured_events_per_s": 6_000.0, "ratio_to_ceiling": 0.08, "ratio_to_one_instance": 1.5,
           "cpu_us_per_event": 270.0}  # fmt: skip
    redeem = {"measured_decisions_per_s": 800.0, "ratio_to_ceiling": None, "cpu_us_per_event": 1_000.0}
    rows = table.rows({"instances": {"earn": {"2": two, "1": one}, "redeem": {"1": redeem}}})
    assert rows == [
        ("earn, 1 instance", "4,000 events", "0.05 of the ceiling", "250", ""),
        ("earn, 2 instances", "6,000 events", "1.50x one instance", "270", ""),
        ("redeem, 1 instance", "800 decisions", "", "1,000", ""),
    ]
