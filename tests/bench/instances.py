"""Several instances of one stream processor in one consumer group, as a deployment scales it out.

Each instance has its own INSTANCE_ID: its transactional id, its static group membership and its state
directory derive from it (`services.common.processor.instance_name`), so two instances never fence each other
nor share a directory, and an instance restarted with its id fences the transaction its killed predecessor
left open, takes its partitions back with no rebalance and finds its state where it left it. The gate kills
and restarts them; the bench sums their CPU.
"""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import ConsumerGroupState, KafkaException
from confluent_kafka.admin import AdminClient

from services.common import kafka
from tests.bench import harness


def ids(count: int) -> list[str]:
    """The INSTANCE_IDs of `count` instances: the same at every restart, as a StatefulSet's pod names."""
    return [f"instance-{n}" for n in range(count)]


def log_of(path: str, instance_id: str, count: int) -> str:
    """One instance logs to `path`; each of several to a file of its own beside it, named after its id."""
    if count == 1:
        return path
    log = Path(path)
    return str(log.with_name(f"{log.stem}-{instance_id}{log.suffix}"))


def kill_order(rng: random.Random, kills: int, count: int) -> list[int]:
    """Which instance each of `kills` kills hits: rounds in which every instance is killed once, each round in
    a random order, so the kills spread over the instances (each killed as often as another, give or take
    one). One instance draws nothing from `rng`."""
    order: list[int] = []
    while len(order) < kills:
        round_ = list(range(count))
        rng.shuffle(round_)
        order += round_
    return order[:kills]


@dataclass
class Instances:
    """`count` instances of the service `command` runs, each with its INSTANCE_ID and its log, `env` for all."""

    command: list[str]
    log: str
    count: int
    env: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> None:
        self.procs = [self._spawn(index) for index in range(self.count)]

    def kill_and_restart(self, index: int) -> None:
        """SIGKILLs instance `index` and starts it again with the same INSTANCE_ID."""
        self.procs[index].send_signal(signal.SIGKILL)
        self.procs[index].wait()
        self.procs[index] = self._spawn(index)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(30)

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple(proc.pid for proc in self.procs)

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        instance_id = ids(self.count)[index]
        log = log_of(self.log, instance_id, self.count)
        return harness.spawn(self.command, log, **(self.env | {"INSTANCE_ID": instance_id}))


@contextmanager
def running(command: list[str], log: str, count: int, **env: str) -> Iterator[Instances]:
    """`count` instances started together and stopped (SIGTERM) on the way out."""
    instances = Instances(command, log, count, env)
    instances.start()
    try:
        yield instances
    finally:
        instances.stop()


def once_shared(progress: Callable[[], int], group: str, count: int) -> Callable[[], int]:
    """`progress`, but nothing before every one of `count` instances holds partitions of `group`: until then one
    works alone while the others start up, which is not what an event costs with `count` of them."""
    if count == 1:
        return progress
    admin = kafka.admin()
    shared = False

    def gated() -> int:
        nonlocal shared
        shared = shared or holding(admin, group) >= count
        return progress() if shared else 0

    return gated


def holding(admin: AdminClient, group: str) -> int:
    """Members of `group` that hold partitions, once its rebalance is over; 0 while it rebalances."""
    try:
        description = admin.describe_consumer_groups([group])[group].result(timeout=10)
    except KafkaException:
        return 0
    if description.state != ConsumerGroupState.STABLE:
        return 0
    return sum(1 for member in description.members if member.assignment.topic_partitions)
