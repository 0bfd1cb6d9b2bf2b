"""Demo traffic: `python -m services.loadgen --rate 20` publishes a live shop's events forever (`live.run`).

`pointstream loadgen` runs the same traffic for a set duration, with a seed.
"""

from __future__ import annotations

import argparse

from prometheus_client import start_http_server

from services.common.logs import configure_logging
from services.loadgen import live


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--bad-rate", type=float, default=0.002, help="share of malformed events")
    parser.add_argument("--metrics-port", type=int, default=9109)
    parser.add_argument("--duration", type=float, default=None, help="seconds (default: forever)")
    parser.add_argument("--seed", type=int, default=None, help="the same seed sends the same traffic")
    args = parser.parse_args()
    configure_logging("loadgen")
    if args.metrics_port:
        start_http_server(args.metrics_port, addr="127.0.0.1")
    live.run(args.rate, args.duration, args.seed, args.bad_rate)


if __name__ == "__main__":
    main()
