"""The correctness gate of the stream runtime, in the suite: exact balances through SIGKILLs."""

from __future__ import annotations

from pathlib import Path

from tests.bench.gate import run_gate


def test_fifty_thousand_orders_with_duplicates_and_five_sigkills_fold_to_exact_balances(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    result = run_gate("txn", events=50_000, kills=5, partitions=6, seed=23, log=str(tmp_path / "earn.log"))
    assert result["duplicated_entries"] == 0
    assert result["wrong_balances"] == 0, result["examples"]
    assert result["points_in_ledger"] == result["points_expected"]
    assert result["passed"]


def test_the_gate_holds_with_every_rule_on(kafka_bootstrap: str, tmp_path: Path) -> None:
    result = run_gate("txn", events=20_000, kills=3, partitions=6, seed=29, log=str(tmp_path / "earn.log"), rules=True)
    assert result["duplicated_entries"] == 0
    assert result["wrong_balances"] == 0, result["examples"]
    assert result["points_in_ledger"] == result["points_expected"]


def test_the_gate_holds_with_two_instances_killed_in_turn_under_traffic(kafka_bootstrap: str, tmp_path: Path) -> None:
    result = run_gate(
        "txn", events=10_000, kills=4, partitions=6, seed=31, log=str(tmp_path / "earn.log"), instance_count=2
    )
    assert result["duplicated_entries"] == 0
    assert result["wrong_balances"] == 0, result["examples"]
    assert result["points_in_ledger"] == result["points_expected"]
    assert result["instances"] == 2
    assert {log.name for log in tmp_path.iterdir()} == {"earn-instance-0.log", "earn-instance-1.log"}
