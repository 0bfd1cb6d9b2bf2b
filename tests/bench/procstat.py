"""What a process has used, read from Linux's /proc: CPU seconds and resident memory; and a directory's size.

/proc/<pid>/stat has utime and stime in clock ticks: the CPU of every thread of the process (librdkafka's
included), not the machine's, so a figure stays the process's own on a machine others share.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def own_cpu_seconds() -> float:
    return cpu_seconds(os.getpid())


def rss_bytes(pid: int) -> int:
    """Resident memory now (the second field of /proc/<pid>/statm, in pages)."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES


def dir_bytes(path: Path) -> int:
    """Bytes the files under `path` take on disk (0 if it does not exist): allocated blocks, not apparent sizes,
    since Kafka preallocates its index files sparse (10 MB each, mostly holes). Files that vanish while walked
    are skipped."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_blocks * 512
            except FileNotFoundError:
                continue
    return total
