"""`make bench`: throughput, CPU per event and latency beside the ceilings of the same broker and machine.

Every figure is measured in this run: raw Kafka produce and consume of the same messages, the raw
transactional consume-produce ceiling, each stream runtime, and the end-to-end slice; the gateway
projector beside raw PostgreSQL inserts; balance reads through the gateway beside the same SQL on
asyncpg; the read-model rebuild beside the projector; and the peer, the slice as one PostgreSQL
transaction per order (`peer`). Each ceiling is the best of `--runs` runs, reported with its spread:
a shared machine slows a run, never speeds it. Beside each rate, the CPU of the process that did the
work, per event (`meter`: startup and restore not counted).
Figures are printed, summed up in a table, and written to bench/results.json; nothing here asserts on time.
`--only earn,peer` runs some parts (PARTS); a ratio to a part not run is left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.common import topics
from services.loadgen.program import RULE_HEAVY
from services.loadgen.program import publish as publish_program
from services.loadgen.traffic import orders
from tests.bench import codecs, gateway_reads, harness, instances, kafka_raw, meter, peer, rebuild, redemptions, tiers
from tests.bench import projector as projector_bench
from tests.bench import slice as end_to_end
from tests.bench.figures import best_of, ratio
from tests.bench.table import SCALED, summary

RESULTS = Path("bench/results.json")
SHOPS = {f"shop-{i}" for i in range(3)}
"""The shops of the benchmark's traffic (services.loadgen.traffic.orders)."""
PARTS = (
    "raw_kafka",
    "ceiling",
    "earn",
    "rule_heavy",
    "tier",
    "redeem",
    "redeem_latency",
    "instances",
    "codec",
    "raw_postgres",
    "projector",
    "gateway",
    "rebuild",
    "slice",
    "latency",
    "peer",
)


def runtime_rate(
    runtime: str,
    messages: list[tuple[bytes, bytes]],
    partitions: int,
    rules: dict[str, Any] | None = None,
    instance_count: int = 1,
) -> dict[str, Any]:
    """Events/s of a processor over a backlog: first to last output record (broker timestamps), startup
    excluded; CPU µs per event over the orders it committed past between its first and last poll (`meter`),
    and its rate over those polls. With `rules`, every shop of the traffic runs that program; with
    `instance_count`, that many instances share the partitions, their CPU summed."""
    with harness.isolated_topics(f"bench-{runtime}-", partitions):
        if rules is not None:
            publish_program(sorted(SHOPS), rules)
        harness.produce(messages, topics.ORDERS.name)
        if runtime == "ceiling":
            cmd = [sys.executable, "-m", "tests.bench.ceiling", "--count", str(len(messages))]
            cpu = json.loads(subprocess.run(cmd, check=True, timeout=900, capture_output=True, text=True).stdout)
        else:
            cpu = processor_cpu(runtime, len(messages), instance_count)
        stamps = [ts for _, _, ts in harness.read_all(topics.LEDGER.name)]
    seconds = (max(stamps) - min(stamps)) / 1000 if stamps else float("nan")
    return {
        "events": len(messages),
        "ledger_records": len(stamps),
        "seconds": seconds,
        "events_per_s": len(messages) / seconds if seconds else float("nan"),
        "cpu_us_per_event": cpu["cpu_us_per_event"],
        "measured_events_per_s": cpu.get("work_per_s"),
    }


def processor_cpu(runtime: str, events: int, count: int) -> dict[str, Any]:
    """`count` instances of a runtime over a backlog of `events` orders: the CPU of all of them (`meter`)."""
    group, log = harness.group_of(runtime), f".local/logs/bench-{runtime}.log"
    with instances.running(harness.RUNTIMES[runtime], log, count) as running:
        progress = instances.once_shared(meter.consumed(group, topics.ORDERS.name, events), group, count)
        processor = meter.Meter(runtime, running.pids, progress, events)
        meter.watch([processor], poll_s=0.25)
    return processor.figures()


def raw_kafka(messages: list[tuple[bytes, bytes]], partitions: int) -> dict[str, Any]:
    with harness.isolated_topics("bench-raw-", partitions):
        produced = kafka_raw.produce_rate(messages, topics.ORDERS.name)
        consumed = kafka_raw.consume_rate(topics.ORDERS.name, len(messages))
    return {"produce": produced, "consume": consumed}


class Bench:
    """The parts of one run, each adding its figures to `results`."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.events = list(orders(args.events, seed=3, duplicate_rate=0.05))
        self.messages = harness.encoded(self.events)
        self.unique_entries = len({(key, record["event_id"]) for key, record in self.events})
        self.results: dict[str, Any] = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": str(os.cpu_count()),
                "python": platform.python_version(),
                "load_average_at_start": os.getloadavg(),
            },
            "events": args.events,
            "partitions": args.partitions,
        }

    def ceiling_of(self, part: str, key: str) -> float | None:
        found: float | None = self.results.get(part, {}).get(key)
        return found

    def run(self, only: set[str]) -> None:
        for part in PARTS:
            if part in only:
                getattr(self, part)()

    def add(self, name: str, label: str, figures: dict[str, Any]) -> dict[str, Any]:
        self.results[name] = figures
        report(label, figures)
        return figures

    def raw_kafka(self) -> None:
        runs = [raw_kafka(self.messages, self.args.partitions) for _ in range(self.args.runs)]
        self.add(
            "raw_kafka",
            "raw kafka",
            {
                "produce": best_of([r["produce"] for r in runs], "events_per_s"),
                "consume": best_of([r["consume"] for r in runs], "events_per_s"),
            },
        )

    def ceiling(self) -> None:
        runs = [runtime_rate("ceiling", self.messages, self.args.partitions) for _ in range(self.args.runs)]
        self.add("ceiling", "transactional ceiling", best_of(runs, "events_per_s"))

    def _of_ceiling(self, figures: dict[str, Any], key: str = "events_per_s") -> dict[str, Any]:
        figures["ratio_to_ceiling"] = ratio(figures[key], self.ceiling_of("ceiling", "events_per_s"))
        return figures

    def earn(self) -> None:
        for runtime in [r for r in self.args.runtimes.split(",") if r]:
            rate = self._of_ceiling(runtime_rate(runtime, self.messages, self.args.partitions))
            self.results.setdefault("runtimes", {})[runtime] = rate
            report(f"earn on {runtime}", rate)

    def rule_heavy(self) -> None:
        rate = self._of_ceiling(runtime_rate("txn", self.messages, self.args.partitions, RULE_HEAVY))
        rate["ratio_to_default_program"] = ratio(
            rate["events_per_s"], self.results.get("runtimes", {}).get("txn", {}).get("events_per_s")
        )
        self.results.setdefault("runtimes", {})["txn_rule_heavy"] = rate
        report("earn, rule-heavy", rate)

    def tier(self) -> None:
        figures = tiers.rate(tiers.ledger_of(self.events), self.args.partitions)
        self.add("tier", "tier", self._of_ceiling(figures, "entries_per_s"))

    def redeem(self) -> None:
        self.add("redeem", "redeem, backlog", self._of_ceiling(redemptions.throughput(), "decisions_per_s"))

    def redeem_latency(self) -> None:
        self.add("redeem_latency", "redeem latency", redemptions.latency())

    def instances(self) -> None:
        """earn, tier and redeem each with one instance, then with `--instances` of them sharing the partitions."""
        count, partitions, entries = self.args.instances, self.args.partitions, tiers.ledger_of(self.events)
        services: dict[str, Callable[[int], dict[str, Any]]] = {
            "earn": lambda n: runtime_rate("txn", self.messages, partitions, instance_count=n),
            "tier": lambda n: tiers.rate(entries, partitions, instance_count=n),
            "redeem": lambda n: redemptions.throughput(instance_count=n),
        }
        figures: dict[str, Any] = {}
        for service, measure in services.items():
            key = SCALED[service][0]
            one, several = measure(1), measure(count)
            several["ratio_to_one_instance"] = ratio(several[key], one[key])
            figures[service] = {"1": self._of_ceiling(one, key), str(count): self._of_ceiling(several, key)}
        self.add("instances", f"1 and {count} instances", figures)

    def codec(self) -> None:
        self.add("codec", "avro vs fastavro", codecs.compare())

    def raw_postgres(self) -> None:
        runs = [end_to_end.raw_postgres() for _ in range(self.args.runs)]
        self.add("raw_postgres", "raw postgresql", best_of(runs, "rows_per_s"))

    def projector(self) -> None:
        projected = projector_bench.throughput(self.events, self.args.partitions)
        raw_rows = self.ceiling_of("raw_postgres", "rows_per_s")
        projected["entries_ratio_to_raw_postgres"] = ratio(projected["entries_per_s"], raw_rows)
        projected["rows_ratio_to_raw_postgres"] = ratio(projected["rows_per_s"], raw_rows)
        self.add("projector", "projector, backlog", projected)

    def gateway(self) -> None:
        self.add("gateway_reads", "gateway balance reads", gateway_reads.throughput(partitions=self.args.partitions))

    def rebuild(self) -> None:
        rebuilt = rebuild.throughput(partitions=self.args.partitions)
        rebuilt["ratio_to_projector"] = ratio(rebuilt["events_per_s"], self.ceiling_of("projector", "records_per_s"))
        self.add("rebuild", "read-model rebuild", rebuilt)

    def slice(self) -> None:
        figures = end_to_end.throughput(self.messages, self.unique_entries, self.args.partitions)
        self.add("slice_throughput", "slice end to end", self._of_ceiling(figures))

    def latency(self) -> None:
        self.add(
            "slice_latency",
            "slice latency",
            end_to_end.latency(self.args.latency_rate, self.args.latency_seconds, self.args.partitions),
        )

    def peer(self) -> None:
        self.add("peer", "peer, one transaction per order", peer.throughput(self.events, self.args.peer_workers))
        lat = peer.latency(self.args.latency_rate, self.args.latency_seconds, self.args.peer_workers)
        self.add("peer_latency", "peer latency", lat)
        ours, theirs = self.results.get("slice_throughput"), self.results["peer"]
        if ours is not None:
            ours["ratio_to_peer"] = ratio(ours["events_per_s"], theirs["events_per_s"])
        if (ours := self.results.get("slice_latency")) is not None:
            ours["p50_ratio_to_peer"] = ratio(ours["p50_ms"], lat["p50_ms"])
            ours["p99_ratio_to_peer"] = ratio(ours["p99_ms"], lat["p99_ms"])


def parts(only: str) -> set[str]:
    chosen = {p.strip() for p in only.split(",") if p.strip()} or set(PARTS)
    if unknown := chosen - set(PARTS):
        raise SystemExit(f"unknown parts {sorted(unknown)}; the parts are {', '.join(PARTS)}")
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--runtimes", default="txn,faust")
    parser.add_argument("--runs", type=int, default=3, help="runs of each ceiling; the best counts")
    parser.add_argument("--latency-rate", type=float, default=500.0, help="events/s for the latency runs")
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--instances", type=int, default=2, help="instances of each service in `instances`")
    parser.add_argument("--peer-workers", type=int, default=0, help="the peer's processes; 0: two per core")
    parser.add_argument("--only", default="", help=f"comma-separated parts of {', '.join(PARTS)}; all by default")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    bench = Bench(args)
    bench.run(parts(args.only))
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(bench.results, indent=2) + "\n")
    summary(bench.results)
    print(f"\nwritten to {args.output}")


def report(label: str, figures: dict[str, Any]) -> None:
    shown = ", ".join(f"{k} {v:,.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in flat(figures).items())
    print(f"{label:>24}: {shown}", flush=True)


def flat(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[prefix + key] = value
    return out


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"bench took {time.monotonic() - started:.0f} s")
