"""The bench's summary table: for each measure its rate, its ratio to its ceiling, the CPU per event of the
process doing the work (summed over the instances of a service run as several), and p50/p99 where a latency
was measured. Parts not run leave their rows out."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Row = tuple[str, str, str, str, str]
PG_CPU = "postgres_cpu_us_per_event"
HEADER: Row = ("measure", "per second", "against its ceiling", "CPU µs/event", "p50 / p99")


def summary(results: dict[str, Any]) -> None:
    print("\n" + render(rows(results)))


def render(table: list[Row]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *table]) for i in range(len(HEADER))]

    def line(row: Row) -> str:
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(HEADER), rule, *map(line, table)])


def rows(results: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for build in BUILDERS:
        out += build(results)
    return out


def rate(figures: dict[str, Any], key: str, unit: str) -> str:
    return f"{figures[key]:,.0f} {unit}"


def cpu(figures: dict[str, Any], key: str = "cpu_us_per_event") -> str:
    value = figures.get(key)
    return "" if value is None or math.isnan(value) else f"{value:,.0f}"


def latency(figures: dict[str, Any]) -> str:
    return f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f} ms"


def of(value: float | None, what: str) -> str:
    return "" if value is None else f"{value:.2f} of {what}"


def best(figures: dict[str, Any]) -> str:
    return f", best of {len(figures['runs'])} (spread {figures['spread']:.0%})"


def _kafka(results: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    if raw := results.get("raw_kafka"):
        for way in ("produce", "consume"):
            figures = raw[way]
            out.append(
                (f"raw Kafka {way}{best(figures)}", rate(figures, "events_per_s", "events"), "1", cpu(figures), "")
            )
    if ceiling := results.get("ceiling"):
        out.append(
            (f"transactional ceiling{best(ceiling)}", rate(ceiling, "events_per_s", "events"), "1", cpu(ceiling), "")
        )
    return out


def of_ceiling(label: str, figures: dict[str, Any], key: str = "events_per_s", unit: str = "events") -> Row:
    return label, rate(figures, key, unit), of(figures.get("ratio_to_ceiling"), "the ceiling"), cpu(figures), ""


def _services(results: dict[str, Any]) -> list[Row]:
    labels = {"txn": "earn, default program", "txn_rule_heavy": "earn, rule-heavy program",
              "faust": "earn on faust-streaming"}  # fmt: skip
    out = [of_ceiling(labels.get(name, name), figures) for name, figures in results.get("runtimes", {}).items()]
    if tier := results.get("tier"):
        out.append(of_ceiling("tier", tier, "entries_per_s", "entries"))
    if redeem := results.get("redeem"):
        out.append(of_ceiling("redeem, backlog", redeem, "decisions_per_s", "decisions"))
    if lat := results.get("redeem_latency"):
        out.append((f"redeem decisions at {lat['rate_per_s']:,.0f}/s", "", "", "", latency(lat)))
    return out


SCALED = {"earn": ("measured_events_per_s", "events"), "tier": ("entries_per_s", "entries"),
          "redeem": ("measured_decisions_per_s", "decisions")}  # fmt: skip
"""The services the `instances` part runs with one and with several instances: their rate over the interval
their CPU is measured on (`meter`: once every instance holds partitions), and its unit."""


def _instances(results: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for service, counts in results.get("instances", {}).items():
        key, unit = SCALED[service]
        for count, figures in sorted(counts.items(), key=lambda item: int(item[0])):
            against = of(figures.get("ratio_to_ceiling"), "the ceiling")
            if (to_one := figures.get("ratio_to_one_instance")) is not None:
                against = f"{to_one:.2f}x one instance"
            label = f"{service}, {count} instance{'s' if count != '1' else ''}"
            out.append(row(label, rate(figures, key, unit), against, cpu(figures)))
    return out


def row(label: str, per_s: str = "", against: str = "", cpu_us: str = "", lat: str = "") -> Row:
    return label, per_s, against, cpu_us, lat


def _slice(results: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    if ours := results.get("slice_throughput"):
        against = of(ours.get("ratio_to_ceiling"), "the ceiling")
        if (to_peer := ours.get("ratio_to_peer")) is not None:
            against += f"; {to_peer:.2f}x the peer"
        out.append(row("end to end, publish to read model", rate(ours, "events_per_s", "events"), against.lstrip("; "),
                       cpu(ours)))  # fmt: skip
    if lat := results.get("slice_latency"):
        against = ""
        if (p50 := lat.get("p50_ratio_to_peer")) is not None:
            against = f"p50 {p50:.1f}x, p99 {lat['p99_ratio_to_peer']:.1f}x the peer's"
        out.append(row(f"end to end at {lat['rate_per_s']:,.0f}/s, publish to visible", against=against,
                       lat=latency(lat)))  # fmt: skip
    if theirs := results.get("peer"):
        both = f"{cpu(theirs)} (+ {cpu(theirs, PG_CPU)} PostgreSQL)"
        out.append(row(f"peer: a PostgreSQL transaction per order, {theirs['workers']} workers",
                       rate(theirs, "events_per_s", "events"), cpu_us=both))  # fmt: skip
    if lat := results.get("peer_latency"):
        out.append(row(f"peer at {lat['rate_per_s']:,.0f}/s, send to visible", lat=latency(lat)))
    return out


def _read_side(results: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    if raw := results.get("raw_postgres"):
        out.append(row(f"raw PostgreSQL multi-row insert{best(raw)}", rate(raw, "rows_per_s", "rows"), "1", cpu(raw)))
    if projected := results.get("projector"):
        out.append(row("projector, ledger records", rate(projected, "records_per_s", "records"),
                       of(projected.get("entries_ratio_to_raw_postgres"), "raw inserts (one entry row each)"),
                       cpu(projected)))  # fmt: skip
        out.append(row("projector, rows written", rate(projected, "rows_per_s", "rows"),
                       of(projected.get("rows_ratio_to_raw_postgres"), "raw inserts")))  # fmt: skip
    if reads := results.get("gateway_reads"):
        out += _reads(reads)
    if rebuilt := results.get("rebuild"):
        out.append(row("read-model rebuild", rate(rebuilt, "events_per_s", "events"),
                       of(rebuilt.get("ratio_to_projector"), "the projector"), cpu(rebuilt)))  # fmt: skip
    return out


def _reads(reads: dict[str, Any]) -> list[Row]:
    sql, http, alone, n = reads["sql_ceiling"], reads["gateway"], reads["gateway_one_connection"], reads["concurrency"]
    return [
        row(f"balance SQL on asyncpg, {n} at once{best(sql)}", rate(sql, "per_s", "queries"), "1",
            f"{cpu(sql, 'client_cpu_us_per_request')} (client)", latency(sql)),
        row(f"gateway balance reads, {n} at once", rate(http, "per_s", "requests"),
            of(reads["ratio_to_sql"], "the SQL"), cpu(http), latency(http)),
        row("gateway balance reads, 1 connection", rate(alone, "per_s", "requests"), lat=latency(alone)),
    ]  # fmt: skip


BUILDERS: tuple[Callable[[dict[str, Any]], list[Row]], ...] = (_kafka, _services, _instances, _slice, _read_side)
