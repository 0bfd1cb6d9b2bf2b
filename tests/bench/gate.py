"""The correctness gate: exact balances through duplicates and repeated SIGKILLs.

`python -m tests.bench.gate --runtime txn|faust`: publishes OrderPaid events (5% duplicates)
while the earn processor runs and is killed with SIGKILL at random moments and restarted;
then the ledger must fold to exactly the balances of a pure fold of the input. With
`--instances N` (txn), N earn processes share the partitions, each with its own INSTANCE_ID; each
kill hits one of them (`instances.kill_order`), restarted with its id: it fences its predecessor's open
transaction and, a static group member, takes its own partitions back while the others go on."""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections import Counter
from typing import Any

from services.common import topics
from services.loadgen.program import RULE_HEAVY
from services.loadgen.program import publish as publish_program
from services.loadgen.traffic import orders
from services.program import parse_program
from tests.bench import harness, instances
from tests.bench.expected import expected_balances


def run_gate(
    runtime: str,
    events: int,
    kills: int,
    partitions: int,
    seed: int,
    log: str,
    rules: bool = False,
    instance_count: int = 1,
) -> dict[str, Any]:
    """With `rules`, every shop runs the rule-heavy program (multipliers, campaigns, bonuses, caps); `instance_count`
    earn instances share the partitions (one per log file beside `log` when several)."""
    if instance_count > 1 and runtime != "txn":
        raise ValueError("several instances run on the txn runtime only")
    rng = random.Random(seed)
    inputs = list(orders(events, seed=seed, duplicate_rate=0.05))
    expected = expected_balances(inputs, parse_program(RULE_HEAVY, 1) if rules else None)
    with harness.isolated_topics(f"gate-{runtime}-", partitions):
        if rules:
            publish_program(sorted({record["shop_id"] for _, record in inputs}), RULE_HEAVY)
        messages = harness.encoded(inputs)
        publish_s = max(10.0, 2.5 * kills)
        publisher = threading.Thread(target=harness.produce, args=(messages, topics.ORDERS.name, events / publish_s))
        publisher.start()
        with instances.running(harness.RUNTIMES[runtime], log, instance_count) as earn:
            for index in instances.kill_order(rng, kills, instance_count):
                time.sleep(rng.uniform(1.0, 4.0))
                earn.kill_and_restart(index)
            publisher.join()
            harness.wait_for_lag_zero(harness.group_of(runtime), topics.ORDERS.name, timeout_s=300)
        ledger = harness.read_all(topics.LEDGER.name)
    return verdict(runtime, events, kills, expected, ledger) | {"instances": instance_count}


def verdict(runtime: str, events: int, kills: int, expected: dict[bytes, int], ledger: list[Any]) -> dict[str, Any]:
    balances: Counter[bytes] = Counter()
    for key, record, _ in ledger:
        balances[key] += record["points"]
    duplicated = sum(n - 1 for n in Counter(r["entry_id"] for _, r, _ in ledger).values() if n > 1)
    wrong = {k.decode(): (balances.get(k, 0), v) for k, v in expected.items() if balances.get(k, 0) != v}
    extra = [k.decode() for k in balances if k not in expected]
    return {
        "runtime": runtime,
        "events": events,
        "sigkills": kills,
        "ledger_entries": len(ledger),
        "customers": len(expected),
        "duplicated_entries": duplicated,
        "wrong_balances": len(wrong) + len(extra),
        "examples": dict(list(wrong.items())[:5]),
        "points_expected": sum(expected.values()),
        "points_in_ledger": sum(balances.values()),
        "passed": not wrong and not extra and duplicated == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runtime", choices=sorted(harness.RUNTIMES), default="txn")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--log", default=".local/logs/gate.log")
    parser.add_argument("--rules", action="store_true", help="every shop on the rule-heavy program")
    parser.add_argument("--instances", type=int, default=1, help="earn processes sharing the partitions (txn)")
    args = parser.parse_args()
    if args.instances < 1 or (args.instances > 1 and args.runtime != "txn"):
        parser.error("--instances: at least 1, and more only on the txn runtime")
    result = run_gate(
        args.runtime, args.events, args.kills, args.partitions, args.seed, args.log, args.rules, args.instances
    )
    print(json.dumps(result, indent=2))
    raise SystemExit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
