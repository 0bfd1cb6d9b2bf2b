"""The alert rules: well formed, explained, about metrics that exist, and firing when they should."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.ops.deployfiles import (
    ALERTS,
    DEPLOY,
    OPERATIONS,
    alert_rules,
    exported_metrics,
    load_yaml,
    metric_names,
    unknown_labels,
)

SCENARIOS = Path(__file__).with_name("alerts_test.yml")
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian's prometheus package) not installed")
WHAT_THEY_COVER = {
    "consumer lag": "pointstream_consumer_lag_records",
    "dead letters": "pointstream_dead_letters_total",
    "transaction aborts": 'outcome="aborted"',
    "gateway errors": 'status=~"5.."',
    "projection behind": "pointstream_projector_lag_records",
    "circuit breaker": "pointstream_earn_circuit_breaker_open",
    "a service down": "up == 0",
}


def rule_id(rule: dict[str, Any]) -> str:
    return str(rule["alert"])


def test_the_rules_cover_what_operators_must_hear_about() -> None:
    exprs = " ".join(rule["expr"] for rule in alert_rules())
    assert [what for what, needle in WHAT_THEY_COVER.items() if needle not in exprs] == []


def test_alert_names_are_unique() -> None:
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", alert_rules(), ids=rule_id)
def test_every_alert_says_what_it_means_and_what_to_do(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"warning", "critical"}
    annotations = rule["annotations"]
    assert len(annotations["summary"]) > 20
    assert len(annotations["description"]) > 80
    assert annotations["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"
    assert f"### {rule['alert']}" in OPERATIONS.read_text(), "docs/operations.md explains every alert"


@pytest.mark.parametrize("rule", alert_rules(), ids=rule_id)
def test_every_alert_is_about_metrics_and_labels_the_services_export(rule: dict[str, Any]) -> None:
    names = metric_names(rule["expr"])
    assert names
    assert names <= set(exported_metrics()), names - set(exported_metrics())
    assert not unknown_labels(rule["expr"])


def test_prometheus_loads_the_rules_by_a_path_relative_to_its_configuration() -> None:
    for config in ("prometheus.yml", "compose.yml"):
        assert load_yaml(DEPLOY / "prometheus" / config)["rule_files"] == [ALERTS.name]


@needs_promtool
def test_promtool_accepts_the_rules_and_both_configurations() -> None:
    assert PROMTOOL is not None
    for args in (["check", "rules", str(ALERTS)], ["check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
                 ["check", "config", str(DEPLOY / "prometheus" / "compose.yml")]):  # fmt: skip
        done = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_scenario_where_it_fires() -> None:
    fired = {
        case["alertname"]
        for test in load_yaml(SCENARIOS)["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert fired == {rule["alert"] for rule in alert_rules()}


@needs_promtool
def test_each_alert_fires_in_its_scenario_and_stays_quiet_otherwise(tmp_path: Path) -> None:
    assert PROMTOOL is not None
    rules = load_yaml(ALERTS)
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations")
    (tmp_path / ALERTS.name).write_text(yaml.safe_dump(rules, sort_keys=False))
    shutil.copy(SCENARIOS, tmp_path / SCENARIOS.name)
    done = subprocess.run(
        [PROMTOOL, "test", "rules", SCENARIOS.name], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"SUCCESS", done.stdout + done.stderr)
