"""Private Kafka and PostgreSQL servers for tests that stop, kill or pause them.

The shared servers (`make up`) serve every test at once, so a test about an outage starts its own:
a single-node KRaft broker from the project's Kafka jars (those `deploy/local/kafka.sh install`
resolves) and a PostgreSQL cluster from Debian's binaries, each in its own temporary directory on
free ports. `start` after `stop` reuses the same data and ports, as a restarted server would.
The fixtures `private_kafka` and `private_postgres` (module scope) yield a started instance and
kill it and delete its files afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KAFKA_DIR = ROOT / "deploy" / "local" / "kafka"
START_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def new_cluster_id() -> str:
    """A KRaft cluster id as `kafka-storage random-uuid` makes one: never with a leading '-', which the storage
    tool's command line would take for an option (one id in 64 otherwise)."""
    while (found := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()).startswith("-"):
        pass
    return found


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout_s} s")
        time.sleep(0.2)


def _die_with_parent() -> None:
    """A server outlives no test run: the kernel kills it when the test process dies (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def kafka_libs() -> Path:
    """The Kafka jars of deploy/local/kafka/pom.xml, installed by deploy/local/kafka.sh when missing."""
    version = (KAFKA_DIR / "pom.xml").read_text().split("<kafka.version>")[1].split("</kafka.version>")[0]
    cache = Path(
        os.environ.get("POINTSTREAM_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pointstream"
    )
    libs = cache / f"kafka-{version}" / "libs"
    if not (libs / ".complete").exists():
        subprocess.run(["bash", str(ROOT / "deploy" / "local" / "kafka.sh"), "install"], check=True)
    return libs


class PrivateKafka:
    """A KRaft single node (broker and controller) from the project's Kafka jars, own tmp dir, free ports."""

    def __init__(self, heap: str = "512m", sasl_users: dict[str, str] | None = None) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="pointstream-kafka-"))
        self.port, self.controller_port = free_port(), free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.sasl_port = free_port() if sasl_users else None
        """With `sasl_users` (name: password), a second listener that takes SASL/PLAIN logins only."""
        self.process: subprocess.Popen[bytes] | None = None
        logging = [
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            f"-Dlog4j2.configurationFile={KAFKA_DIR}/log4j2.properties",
        ]
        self._java = ["java", f"-Xms{heap}", f"-Xmx{heap}", *logging, "-cp", f"{kafka_libs()}/*"]
        self._config = self.home / "server.properties"
        template = (KAFKA_DIR / "server.properties.in").read_text()
        self._config.write_text(
            template.replace("@KAFKA_PORT@", str(self.port))
            .replace("@CONTROLLER_PORT@", str(self.controller_port))
            .replace("@DATA_DIR@", str(self.home / "data"))
            # A killed broker's session must expire before it registers again: keep that wait short.
            + "broker.heartbeat.interval.ms=500\nbroker.session.timeout.ms=2500\n"
            + (self._sasl_listener(sasl_users) if sasl_users else "")
        )
        storage = f"kafka.tools.StorageTool format --standalone -t {new_cluster_id()} -c {self._config}"
        subprocess.run([*self._java, *storage.split()], check=True, capture_output=True)

    @property
    def log(self) -> Path:
        return self.home / "logs" / "server.log"

    def _sasl_listener(self, users: dict[str, str]) -> str:
        """Later lines win in a properties file: the listeners again, with a SASL_PLAINTEXT one added."""
        logins = " ".join(f'user_{name}="{password}"' for name, password in users.items())
        return (
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port},"
            f"SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}\n"
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port},SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}\n"
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT\n"
            "sasl.enabled.mechanisms=PLAIN\n"
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {logins};\n"
        )

    def start(self) -> None:
        """(Re)starts on the same data dir and ports; returns when the broker answers metadata requests."""
        if self.process is not None and self.process.poll() is None:
            return
        wait_until(lambda: not (port_open(self.port) or port_open(self.controller_port)), "ports not freed")
        self.log.parent.mkdir(exist_ok=True)
        self.log.write_text("")
        with open(self.home / "stdout.log", "ab") as out:
            self.process = subprocess.Popen(
                [*self._java, "kafka.Kafka", str(self._config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        wait_until(self._ready, f"private Kafka on {self.bootstrap} not ready")

    def _ready(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"private Kafka exited; see {self.home / 'stdout.log'} and {self.log}")
        if "Kafka Server started" not in self.log.read_text(errors="replace") or not port_open(self.port):
            return False
        from confluent_kafka.admin import AdminClient

        try:
            return bool(AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(timeout=5).brokers)
        except Exception:
            return False

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (a controlled shutdown, waited for) or SIGKILL."""
        if self.process is None:
            return
        self.resume()
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def pause(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def remove(self) -> None:
        self.stop(kill=True)
        shutil.rmtree(self.home, ignore_errors=True)


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        pytest.fail("PostgreSQL binaries not found (Debian: apt-get install postgresql)")
    return found[-1]


class PrivatePostgres:
    """Debian's PostgreSQL binaries, initdb in a tmp dir, free port; run as `postgres` when root."""

    def __init__(self, user: str = "pointstream", password: str = "pointstream", database: str = "pointstream") -> None:
        self.bin = postgres_bin()
        self.home = Path(tempfile.mkdtemp(prefix="pointstream-postgres-"))
        self.data, self.port = self.home / "data", free_port()
        self.url = f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"
        if os.getuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        self._as_owner(f"initdb -D {self.data} -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.home}'\n"
                "max_connections = 100\nfsync = off\nfull_page_writes = off\n"
            )
        self.start()
        psql = f"psql -X -q -v ON_ERROR_STOP=1 -h {self.home} -p {self.port} -U postgres -d postgres -c"
        self._as_owner(psql, f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        self._as_owner(psql, f"CREATE DATABASE {database} OWNER {user}")

    def _as_owner(self, command: str, *more: str) -> None:
        """Runs one of the cluster's binaries, as `postgres` when root (the server refuses to run as root)."""
        program, *args = command.split()
        argv = [str(self.bin / program), *args, *more]
        subprocess.run(["runuser", "-u", "postgres", "--", *argv] if os.getuid() == 0 else argv, check=True,
                       capture_output=True)  # fmt: skip

    def start(self) -> None:
        """Starts (or restarts) the cluster; returns when it accepts connections."""
        self._as_owner(f"pg_ctl -D {self.data} -l {self.home / 'postgres.log'} -w -t 60 start")

    def stop(self) -> None:
        """A fast shutdown: open connections are closed at once."""
        self._as_owner(f"pg_ctl -D {self.data} -m fast -w stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._as_owner(f"pg_ctl -D {self.data} -m immediate -w stop")
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def private_kafka() -> Iterator[PrivateKafka]:
    kafka = PrivateKafka()
    try:
        kafka.start()
        yield kafka
    finally:
        kafka.remove()


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres()
    try:
        yield postgres
    finally:
        postgres.remove()
