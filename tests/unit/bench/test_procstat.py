"""What a process used, from /proc: the bench divides it by the events the process handled."""

from __future__ import annotations

import os
from pathlib import Path

from tests.bench import meter, peer, procstat


def test_cpu_of_a_process_grows_with_the_work_it_does() -> None:
    before = procstat.own_cpu_seconds()
    total = 0
    while procstat.own_cpu_seconds() - before < 0.05:
        total += sum(range(10_000))
    assert procstat.cpu_seconds(os.getpid()) >= before + 0.05


def test_resident_memory_of_a_process_is_some_megabytes() -> None:
    assert 1_000_000 < procstat.rss_bytes(os.getpid()) < 100_000_000_000


def test_a_directory_weighs_the_disk_its_files_take_and_a_missing_one_nothing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data").write_bytes(os.urandom(200_000))
    with (tmp_path / "sparse").open("wb") as sparse:  # as Kafka preallocates an index
        sparse.truncate(10_000_000)
    assert 200_000 <= procstat.dir_bytes(tmp_path) < 1_000_000
    assert procstat.dir_bytes(tmp_path / "missing") == 0


def test_the_peer_gives_a_customer_always_the_same_worker() -> None:
    keys = [f"shop-1:c{i}".encode() for i in range(1000)]
    shares = [peer.share(key, 4) for key in keys]
    assert shares == [peer.share(key, 4) for key in keys]
    assert set(shares) == {0, 1, 2, 3}


def test_a_meter_counts_cpu_and_work_from_the_first_progress_it_sees() -> None:
    seen = iter([0, 0, 10, 20, 30, 40])
    meter_ = meter.Meter("here", os.getpid(), lambda: next(seen), total=40)
    meter.watch([meter_], timeout_s=5, poll_s=0)
    found = meter_.figures()
    assert found["measured_work"] == 30
    assert found["cpu_us_per_event"] == found["cpu_s"] * 1e6 / 30
