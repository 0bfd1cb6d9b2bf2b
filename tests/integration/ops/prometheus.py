"""A private Prometheus (Debian's `prometheus`) for a test: its own port, data directory and targets."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.conftest import free_port

BINARY = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool")


def config(targets: dict[str, int], rules: Path, own_port: int) -> dict[str, Any]:
    jobs = {"prometheus": own_port} | targets
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]} for job, port in jobs.items()
        ],
    }


@contextlib.contextmanager
def running(targets: dict[str, int], rules: Path, workdir: Path) -> Iterator[Prometheus]:
    """Starts Prometheus scraping `targets` (job name -> port on 127.0.0.1) with `rules`; stops it after."""
    port = free_port()
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config(targets, rules, port)))
    if PROMTOOL:
        checked = subprocess.run([PROMTOOL, "check", "config", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    log = (workdir / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [BINARY, f"--config.file={path}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        prometheus = Prometheus(f"http://127.0.0.1:{port}")
        prometheus.wait_ready(process, workdir / "prometheus.log")
        yield prometheus
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def wait_ready(self, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            assert process.poll() is None, f"prometheus exited: {log.read_text()[-2000:]}"
            with contextlib.suppress(httpx.HTTPError):
                if self.http.get("/-/ready").status_code == 200:
                    return
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.2)

    def query(self, expr: str) -> dict[str, Any]:
        """The API's whole answer: `status` is "error" (with `error`) for an invalid expression."""
        answer: dict[str, Any] = self.http.get("/api/v1/query", params={"query": expr}).json()
        return answer

    def label_values(self, label: str, metric: str) -> list[str]:
        answer = self.http.get(f"/api/v1/label/{label}/values", params={"match[]": metric}).json()
        values: list[str] = answer["data"]
        return values

    def targets(self) -> list[dict[str, Any]]:
        targets: list[dict[str, Any]] = self.http.get("/api/v1/targets").json()["data"]["activeTargets"]
        return targets

    def rules(self) -> list[dict[str, Any]]:
        groups = self.http.get("/api/v1/rules").json()["data"]["groups"]
        return [rule for group in groups for rule in group["rules"]]
