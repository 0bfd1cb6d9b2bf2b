"""`make scale`: earn, tier and redeem over many customers and events, as an operator sizes them.

`python -m tests.bench.scale --customers N --events M` (defaults 1,000,000 and 10,000,000: hours on a
small machine) publishes M events for N customers of three shops on fresh topics, orders (earn) and
redemption requests (`--redeem-share` of them, redeem), then starts the three services as `make bench`
does and samples them every `--sample-seconds` until each has caught up:

- resident memory (RSS) of each process over time, and its CPU per event;
- state on disk: the state directory (`STATE_DIR`, or .local/state, when it exists) and the changelog
  topics' partition directories in the broker's log directory (when the broker is local);
- throughput of each service in `--slices` equal shares of its work, first to last: a rate that falls is
  a service slowing as its state grows;
- a restart: once the backlog is done, orders arrive live at `--tail-rate` for `--tail-seconds`; halfway,
  earn is killed with SIGKILL and started again at once under its own id, with its local state. From the
  restart to its first output (its first committed transaction: state restored, partitions assigned) and
  to lag 0 on its partitions (or back to the highest lag seen before the kill, where the live input never
  lets it reach 0). Then the same again as a fresh instance: its local state deleted before the start (a
  pod on a new volume), so it restores its partitions from the changelog.

It writes bench/scale.json and prints a table. The topics and the redeem schema are dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import TopicPartition
from confluent_kafka.admin import ConfigResource, ResourceType  # type: ignore[attr-defined]

from services.common import kafka, topics
from services.common.codec import Codec
from services.common.processor import instance_name
from services.common.settings import settings
from services.loadgen.traffic import order
from services.schema.migrations import migrate
from tests.bench import figures, harness, procstat, redemptions
from tests.bench.slice import _drop

RESULTS = Path("bench/scale.json")
SHOPS = 3
START = datetime(2026, 1, 1, tzinfo=UTC)
REWARDS = {name: redemptions.CATALOG[name] for name in ("coupon", "spa")}
"""An unlimited coupon most customers can afford after a few orders, and a reward for gold customers only."""
SERVICES = ("earn", "tier", "redeem")


def inputs() -> dict[str, tuple[str, ...]]:
    """The topics whose records each service's work is counted in (names carry the run's namespace): redeem
    reads the ledger (every credit) besides the requests it decides."""
    ledger = topics.LEDGER.name
    return {"earn": (topics.ORDERS.name,), "tier": (ledger,), "redeem": (topics.REDEMPTION_REQUESTS.name, ledger)}


def customer(k: int) -> tuple[str, str]:
    """Customer number k: (shop, customer id); N numbers are N customers."""
    return f"shop-{k % SHOPS}", f"c{k}"


def order_messages(count: int, customers: int, seed: int, duplicates: float = 0.01) -> Iterator[tuple[bytes, bytes]]:
    """OrderPaid records for customers drawn uniformly, one second apart; about `duplicates` of them repeat
    one of the last thousand (a bounded window: the run never holds its input in memory)."""
    rng, codec, recent = random.Random(seed), Codec(), deque[tuple[bytes, bytes]](maxlen=1000)
    for i in range(count):
        if recent and rng.random() < duplicates:
            yield recent[rng.randrange(len(recent))]
            continue
        shop, who = customer(rng.randrange(customers))
        record = order(rng, shop, who, START + timedelta(seconds=i), seed, i)
        item = (topics.customer_key(shop, who), codec.encode("OrderPaid", record))
        recent.append(item)
        yield item


def request_messages(count: int, customers: int, seed: int) -> Iterator[tuple[bytes, bytes]]:
    """RedemptionRequested records: mostly the coupon, one in five the gold-only reward."""
    rng, codec = random.Random(seed), Codec()
    for i in range(count):
        shop, who = customer(rng.randrange(customers))
        record = redemptions.request(shop, who, START + timedelta(seconds=i), f"{seed}-{i}",
                                     "spa" if rng.random() < 0.2 else "coupon")  # fmt: skip
        yield topics.customer_key(shop, who), codec.encode("RedemptionRequested", record)


class Service:
    """A service process, started as the bench starts them; started again after a kill."""

    def __init__(self, name: str, schema: str) -> None:
        self.name, self.group = name, settings().topic_namespace + name
        self.env = os.environ | {"DATABASE_SCHEMA": schema, "METRICS_PORT": "0", "LOG_LEVEL": "WARNING",
                                 "EXPIRY_TICK_SECONDS": "3600"}  # fmt: skip
        self.proc = self.start()

    def start(self) -> subprocess.Popen[bytes]:
        with open(f".local/logs/scale-{self.name}.log", "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", f"services.{self.name}"], env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)  # fmt: skip
        return self.proc

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)

    def done(self, *read: str) -> int:
        """Records of the topics the service has committed past (transaction markers of a transactional topic too)."""
        return sum(max(tp.offset, 0) for topic in read for tp in harness.committed(self.group, topic))

    def sample(self, read: tuple[str, ...]) -> dict[str, Any]:
        return {"done": self.done(*read), "cpu_s": procstat.cpu_seconds(self.proc.pid),
                "rss_bytes": procstat.rss_bytes(self.proc.pid)}  # fmt: skip


class Ends:
    """End offsets of a topic's partitions, on one consumer held open."""

    def __init__(self) -> None:
        self.consumer = kafka.consumer(None)

    def of(self, topic: str) -> int:
        parts = (TopicPartition(topic, p) for p in range(settings().partitions))
        return sum(self.consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts)

    def close(self) -> None:
        self.consumer.close()


def state_on_disk(namespace: str, log_dirs: list[Path]) -> dict[str, Any]:
    """Bytes of the services' state directory (None where there is none) and of each changelog topic's
    partition directories in the broker's log directories (None where they are not on this machine)."""
    configured = getattr(settings(), "state_dir", None)
    state_dir = Path(configured) if configured else Path(".local/state")
    dirs = [d for d in log_dirs if d.is_dir()]
    partitions = range(settings().partitions)
    changelogs = {
        t.base: sum(procstat.dir_bytes(d / f"{namespace}{t.base}-{p}") for d in dirs for p in partitions)
        for t in (topics.EARN_STATE, topics.TIER_STATE, topics.REDEEM_STATE)
    }
    on_disk = procstat.dir_bytes(state_dir) if state_dir.is_dir() else None
    return {"state_dir": str(state_dir), "state_dir_bytes": on_disk, "changelog_bytes": changelogs if dirs else None}


def broker_log_dirs() -> list[Path]:
    """The broker's log directories, as its configuration names them."""
    admin = kafka.admin()
    broker = next(iter(admin.list_topics(timeout=10).brokers))
    resource = ConfigResource(ResourceType.BROKER, str(broker))
    found = admin.describe_configs([resource])[resource].result(timeout=10)
    entry = found.get("log.dirs") or found.get("log.dir")
    return [Path(d) for d in (entry.value or "").split(",") if d] if entry is not None else []


class Run:
    """One scale run: the services on the backlog, sampled, then the restart under a live tail."""

    def __init__(self, args: argparse.Namespace, schema: str) -> None:
        self.args, self.namespace = args, settings().topic_namespace
        self.services = {name: Service(name, schema) for name in SERVICES}
        self.ends, self.log_dirs, self.started = Ends(), broker_log_dirs(), time.monotonic()
        self.samples: list[dict[str, Any]] = []

    def sample(self) -> dict[str, Any]:
        services = {name: s.sample(inputs()[name]) for name, s in self.services.items()}
        found = {"t": time.monotonic() - self.started, "state": state_on_disk(self.namespace, self.log_dirs),
                 "services": services}  # fmt: skip
        self.samples.append(found)
        shown = ", ".join(f"{name} {s['done']:,} ({s['rss_bytes'] / 1e6:,.0f} MB)" for name, s in services.items())
        print(f"{found['t']:7.0f} s: {shown}", flush=True)
        return found

    def drain(self, orders: int) -> float:
        """Samples until earn has every order, redeem every request, and tier and redeem all of the ledger."""
        deadline = time.monotonic() + self.args.timeout
        while time.monotonic() < deadline:
            if self.sample()["services"]["earn"]["done"] >= orders and self._all_read():
                return time.monotonic() - self.started
            time.sleep(self.args.sample_seconds)
        raise TimeoutError(f"the backlog was not done in {self.args.timeout} s; see .local/logs/scale-*.log")

    def _all_read(self) -> bool:
        requests = harness.group_lag(self.namespace + "redeem", topics.REDEMPTION_REQUESTS.name)
        ledger = (harness.settled_lag(self.namespace + name, topics.LEDGER.name) for name in ("tier", "redeem"))
        return requests == 0 and not any(ledger)

    def restart_under_tail(self, customers: int, fresh: bool = False) -> dict[str, Any]:
        """Live orders at the tail rate; earn SIGKILLed halfway and started again under its own id, with its local
        state or, `fresh`, without (a pod on a new volume: it restores the changelog); how long until it is back."""
        earn, topic, rate = self.services["earn"], topics.ORDERS.name, self.args.tail_rate
        seed = self.args.seed + (2 if fresh else 1)
        tail = list(order_messages(int(rate * self.args.tail_seconds), customers, seed=seed))
        live = threading.Thread(target=harness.produce, args=(tail, topic, rate))
        began = time.monotonic()
        live.start()
        steady = 0
        while time.monotonic() - began < self.args.tail_seconds / 2:
            steady = max(steady, self.ends.of(topic) - earn.done(topic))
            time.sleep(0.2)
        earn.kill()
        if fresh:
            local = settings().state_dir / instance_name("earn")
            if not local.is_dir():
                raise RuntimeError(f"earn's local state is not where it should be: {local}")
            shutil.rmtree(local)
        restarted = time.monotonic()
        earn.start()
        committed = earn.done(topic)  # final: a killed process commits nothing more, the new one not yet
        first, caught_up, peak = None, None, 0
        while caught_up is None and time.monotonic() - restarted < self.args.timeout:
            done = earn.done(topic)
            lag, now = self.ends.of(topic) - done, time.monotonic()
            peak = max(peak, lag)
            first = first or (now if done > committed else None)
            caught_up = now if first is not None and lag <= steady else None
            time.sleep(0.1)
        live.join()
        return {"customers_in_state": customers, "tail_rate_per_s": rate, "local_state": not fresh,
                "lag_before_kill_max": steady,
                "peak_lag_after_restart": peak,
                "restart_to_first_output_s": None if first is None else first - restarted,
                "restart_to_caught_up_s": None if caught_up is None else caught_up - restarted}  # fmt: skip

    def close(self) -> None:
        for service in self.services.values():
            service.stop()
        self.ends.close()


def service_figures(samples: list[dict[str, Any]], name: str, slices: int) -> dict[str, Any]:
    """A service's rates per slice of its work, CPU per event from its first progress on, and its memory."""
    own = [s["services"][name] | {"t": s["t"]} for s in samples]
    # CPU from the first sample that saw work done: startup and restore come before it.
    first, last = next((s for s in own if s["done"] > own[0]["done"]), own[0]), own[-1]
    rates = figures.slice_rates([(s["t"], s["done"]) for s in own], slices)
    rss = [s["rss_bytes"] for s in own]
    return {
        "done": last["done"],
        "rates_per_slice": rates,
        "first_slice_per_s": rates[0] if rates else None,
        "last_slice_per_s": rates[-1] if rates else None,
        "last_to_first": figures.ratio(rates[-1], rates[0]) if rates else None,
        "cpu_us_per_event": figures.per_event_us(last["cpu_s"] - first["cpu_s"], last["done"] - first["done"]),
        "peak_rss_bytes": max(rss),
        "end_rss_bytes": rss[-1],
    }


def scale(args: argparse.Namespace) -> dict[str, Any]:
    orders = round(args.events * (1 - args.redeem_share))
    requests = args.events - orders
    with harness.isolated_topics("scale-", args.partitions):
        schema = f"scale_{os.getpid()}"
        asyncio.run(migrate(settings().database_url, schema))
        try:
            producer = kafka.producer()
            for shop in range(SHOPS):
                for topic, key, value in redemptions.catalog(f"shop-{shop}", REWARDS):
                    producer.produce(topic, value, key)
            producer.flush(60)
            produced_s = harness.produce(order_messages(orders, args.customers, args.seed), topics.ORDERS.name)
            produced_s += harness.produce(request_messages(requests, args.customers, args.seed),
                                          topics.REDEMPTION_REQUESTS.name)  # fmt: skip
            run = Run(args, schema)
            try:
                backlog_s = run.drain(orders)
                restarts = [run.restart_under_tail(args.customers, fresh) for fresh in (False, True)]
                run.sample()
            finally:
                run.close()
        finally:
            asyncio.run(_drop(settings().database_url, schema))
    backlog = run.samples[:-1]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "customers": args.customers, "orders": orders, "redemption_requests": requests,
        "partitions": args.partitions, "produce_seconds": produced_s, "backlog_seconds": backlog_s,
        "services": {name: service_figures(backlog, name, args.slices) for name in SERVICES},
        "state_at_end_of_backlog": backlog[-1]["state"], "restarts": restarts, "samples": run.samples,
    }  # fmt: skip


def megabytes(n: int | None) -> str:
    return "" if n is None else f"{n / 1e6:,.0f} MB"


def per_s(r: float | None) -> str:
    return "" if r is None else f"{r:,.0f}/s"


def seconds(s: float | None) -> str:
    return "never" if s is None else f"{s:.1f} s"


def table(results: dict[str, Any]) -> str:
    lines = [f"{results['customers']:,} customers, {results['orders']:,} orders, {results['redemption_requests']:,} "
             f"redemption requests; backlog done in {results['backlog_seconds']:,.0f} s", "",
             "| service | records read | first slice | last slice | last / first | CPU µs/record | peak RSS "
             "| RSS at end |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, s in results["services"].items():
        ratio = "" if s["last_to_first"] is None else f"{s['last_to_first']:.2f}"
        lines.append(f"| {name} | {s['done']:,} | {per_s(s['first_slice_per_s'])} | {per_s(s['last_slice_per_s'])} "
                     f"| {ratio} | {s['cpu_us_per_event']:,.0f} | {megabytes(s['peak_rss_bytes'])} "
                     f"| {megabytes(s['end_rss_bytes'])} |")  # fmt: skip
    lines.append("(earn reads the orders, tier the ledger, redeem the requests and the ledger)")
    state = results["state_at_end_of_backlog"]
    changelogs = ", ".join(f"{t} {megabytes(b)}" for t, b in (state["changelog_bytes"] or {}).items())
    lines += ["", f"state on disk: {state['state_dir']} {megabytes(state['state_dir_bytes']) or 'absent'}; "
              f"changelog topics: {changelogs or 'not on this machine'}"]  # fmt: skip
    for r in results["restarts"]:
        how = "with its local state" if r["local_state"] else "as a fresh instance (its local state deleted)"
        lines.append(f"earn SIGKILLed with {r['customers_in_state']:,} customers' state under "
                     f"{r['tail_rate_per_s']:,.0f} orders/s, restarted {how}: first output "
                     f"{seconds(r['restart_to_first_output_s'])} after the restart, caught up after "
                     f"{seconds(r['restart_to_caught_up_s'])} (lag back to {r['lag_before_kill_max']:,}; "
                     f"peak {r['peak_lag_after_restart']:,})")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000, help="orders and redemption requests together")
    parser.add_argument("--redeem-share", type=float, default=0.1, help="the share of the events that are requests")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--slices", type=int, default=10, help="shares of the work a rate is given for")
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--tail-rate", type=float, default=1_000.0, help="live orders/s around the restart")
    parser.add_argument("--tail-seconds", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=6 * 3600.0, help="seconds the backlog may take")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    Path(".local/logs").mkdir(parents=True, exist_ok=True)
    results = scale(args)
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
