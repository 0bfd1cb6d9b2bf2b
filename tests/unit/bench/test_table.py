"""The bench's summary table: each measure with its rate, its ratio to its ceiling, CPU per event and latency."""

from __future__ import annotations

import math

from tests.bench import table

BEST = {"runs": [1000.0, 900.0, 800.0], "spread": 0.2}
RESULTS = {
    "raw_kafka": {"produce": {"events_per_s": 90_000.0, "cpu_us_per_event": 11.0} | BEST,
                  "consume": {"events_per_s": 300_000.0, "cpu_us_per_event": 3.0} | BEST},
    "ceiling": {"events_per_s": 50_000.0, "cpu_us_per_event": 20.0} | BEST,
    "runtimes": {"txn": {"events_per_s": 8_000.0, "ratio_to_ceiling": 0.16, "cpu_us_per_event": 110.0}},
    "slice_throughput": {"events_per_s": 7_000.0, "ratio_to_ceiling": 0.14, "ratio_to_peer": 3.5,
                         "cpu_us_per_event": 180.0},
    "slice_latency": {"rate_per_s": 500.0, "p50_ms": 115.0, "p99_ms": 214.0, "p50_ratio_to_peer": 20.0,
                      "p99_ratio_to_peer": 10.0},
    "peer": {"workers": 4, "events_per_s": 2_000.0, "cpu_us_per_event": 300.0, "postgres_cpu_us_per_event": 200.0},
    "peer_latency": {"rate_per_s": 500.0, "p50_ms": 5.75, "p99_ms": 21.4},
}  # fmt: skip


def test_every_measure_shows_its_rate_its_ceiling_its_cpu_and_its_latency() -> None:
    rows = {row[0]: row for row in table.rows(RESULTS)}
    assert rows["transactional ceiling, best of 3 (spread 20%)"] == (
        "transactional ceiling, best of 3 (spread 20%)", "50,000 events", "1", "20", "")  # fmt: skip
    assert rows["earn, default program"] == ("earn, default program", "8,000 events", "0.16 of the ceiling", "110", "")
    assert rows["end to end, publish to read model"][2] == "0.14 of the ceiling; 3.50x the peer"
    assert rows["end to end at 500/s, publish to visible"][2:] == ("p50 20.0x, p99 10.0x the peer's", "",
                                                                    "115.0 / 214.0 ms")  # fmt: skip
    assert rows["peer: a PostgreSQL transaction per order, 4 workers"][3] == "300 (+ 200 PostgreSQL)"
    assert rows["peer at 500/s, send to visible"][4] == "5.8 / 21.4 ms"


def test_parts_not_run_leave_their_rows_and_ratios_out() -> None:
    rows = table.rows({"runtimes": {"txn": {"events_per_s": 8_000.0, "ratio_to_ceiling": None,
                                            "cpu_us_per_event": math.nan}}})  # fmt: skip
    assert rows == [("earn, default program", "8,000 events", "", "", "")]


def test_the_table_is_markdown_with_one_header() -> None:
    lines = table.render(table.rows(RESULTS)).splitlines()
    assert lines[0].startswith("| measure ")
    assert set(lines[1]) <= {"|", "-"}
    assert len(lines) == 2 + len(table.rows(RESULTS))
    assert len({len(line) for line in lines}) == 1
