"""What the ops tests read: the deployment files, the metrics the services export, the settings they read."""

from __future__ import annotations

import importlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
OPERATIONS = ROOT / "docs" / "operations.md"

SERVICE_MODULES = (
    "services.common.metrics",
    "services.earn.processor",
    "services.tier.processor",
    "services.redeem.processor",
    "services.projector",
    "services.gateway.httpmetrics",
    "services.gateway.program_metrics",
    "services.loadgen.__main__",
)
"""Every module that defines metric families; importing them registers the families."""

METRIC = re.compile(r"\bpointstream_[a-z0-9_]+|\bup\b(?!\s*\()")
SELECTOR = re.compile(r"\b(pointstream_[a-z0-9_]+)\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"([a-z_]+)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")
SERVER_LABELS = frozenset({"job", "instance", "le"})
"""Added by Prometheus (job, instance) or by the histogram's series (le)."""


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_yaml_documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def dashboard(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def panel_targets() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expression) of every query of every dashboard panel."""
    return [
        (path.name, panel["title"], target["expr"])
        for path in DASHBOARDS
        for panel in dashboard(path)["panels"]
        for target in panel.get("targets", [])
    ]


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(ALERTS)["groups"] for rule in group["rules"]]


@cache
def exported_metrics() -> dict[str, frozenset[str]]:
    """Every sample name the services export, with the label names it carries; and Prometheus's `up`."""
    for module in SERVICE_MODULES:
        importlib.import_module(module)
    return {"up": frozenset()} | {
        name: frozenset(getattr(collector, "_labelnames", ()))
        for collector, sample_names in REGISTRY._collector_to_names.items()
        for name in sample_names
        # A counter or a histogram is exposed by its suffixed samples only, never by its bare name.
        if name.startswith("pointstream_")
        and not (
            getattr(collector, "_type", "") in ("counter", "histogram") and name == getattr(collector, "_name", "")
        )
    }


def metric_names(expr: str) -> set[str]:
    return set(METRIC.findall(expr))


def unknown_labels(expr: str) -> set[str]:
    """Label names an expression selects or groups by that none of its metrics carries."""
    exported = exported_metrics()
    unknown: set[str] = set()
    for metric, matchers in SELECTOR.findall(expr):
        unknown |= set(MATCHER_LABEL.findall(matchers)) - exported.get(metric, frozenset()) - SERVER_LABELS
    carried = set().union(*(exported.get(m, frozenset()) for m in metric_names(expr))) | SERVER_LABELS
    for grouping in GROUPING.findall(expr):
        unknown |= {label.strip() for label in grouping.split(",") if label.strip()} - carried
    return unknown


@cache
def settings_env_vars() -> frozenset[str]:
    """The environment variables the services read: the settings classes and direct os.environ reads."""
    from services.common.settings import Settings
    from services.gateway.settings import GatewaySettings
    from services.gateway.write_settings import WriteSettings

    names = {name.upper() for cls in (Settings, GatewaySettings, WriteSettings) for name in cls.model_fields}
    direct = re.compile(r"os\.environ(?:\.get\(|\[)\s*\"([A-Z_][A-Z0-9_]*)\"")
    for source in (ROOT / "services").rglob("*.py"):
        names |= set(direct.findall(source.read_text()))
    return frozenset(names)
