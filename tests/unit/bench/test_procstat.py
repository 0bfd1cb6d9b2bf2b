"""What a process used, from /proc: the bench divides it by the events the process handled."""

from __future__ import annotations

import os
from pathlib import Path

from tests.bench import peer, procstat


def test_cpu_of_a_process_grows_with_the_work_it_does() -> None:
    before = procstat.own_cpu_seconds()
    total = 0
    while procstat.own_cpu_seconds() - before < 0.05:
        total += sum(range(10_000))
    assert procstat.cpu_seconds(os.getpid()) >= before + 0.05


def test_resident_memory_of_a_process_is_some_megabytes() -> None:
    assert 1_000_000 < procstat.rss_bytes(os.getpid()) < 100_000_000_000


def test_a_directory_weighs_its_files_and_a_missing_one_nothing(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 100)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 23)
    assert procstat.dir_bytes(tmp_path) == 123
    assert procstat.dir_bytes(tmp_path / "missing") == 0


def test_the_peer_gives_a_customer_always_the_same_worker() -> None:
    keys = [f"shop-1:c{i}".encode() for i in range(1000)]
    shares = [peer.share(key, 4) for key in keys]
    assert shares == [peer.share(key, 4) for key in keys]
    assert set(shares) == {0, 1, 2, 3}
