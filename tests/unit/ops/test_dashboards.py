"""The Grafana dashboards and their provisioning: the shape Grafana loads, and queries of metrics that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.ops.deployfiles import (
    DASHBOARDS,
    DEPLOY,
    dashboard,
    exported_metrics,
    load_yaml,
    metric_names,
    panel_targets,
    unknown_labels,
)

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
PANEL_TYPES = {"timeseries", "stat", "bargauge", "gauge", "table", "text", "row", "heatmap", "state-timeline"}
VARIABLE = re.compile(r"\$\{?(\w+)")
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__range", "__range_s", "__all"}


def test_there_are_the_program_pipeline_and_gateway_dashboards() -> None:
    assert {path.stem for path in DASHBOARDS} == {"program", "pipeline", "gateway"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_a_dashboard_has_what_grafana_needs_to_load_it(path: Path) -> None:
    board = dashboard(path)
    assert isinstance(board["uid"], str)
    assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"])
    assert board["title"]
    assert isinstance(board["schemaVersion"], int)
    assert board["schemaVersion"] >= 36
    assert board.get("id") is None, "a provisioned dashboard has no database id"
    assert board["panels"], "a dashboard without panels"
    for panel in board["panels"]:
        assert isinstance(panel["id"], int)
        assert panel["type"] in PANEL_TYPES
        assert panel["title"]
        grid = panel["gridPos"]
        assert set(grid) >= {"h", "w", "x", "y"}
        assert grid["w"] > 0
        assert grid["h"] > 0
        assert grid["x"] + grid["w"] <= 24, f"{panel['title']} is wider than the 24-column grid"
        if panel["type"] in ("row", "text"):
            continue
        assert panel["datasource"] == DATASOURCE
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE
            assert target["refId"]
            assert target["expr"].strip()
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_panel_ids_are_unique_and_panels_do_not_overlap(path: Path) -> None:
    panels = dashboard(path)["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        g = panel["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_uids_and_titles_are_unique_across_dashboards() -> None:
    boards = [dashboard(path) for path in DASHBOARDS]
    assert len({b["uid"] for b in boards}) == len({b["title"] for b in boards}) == len(boards)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_query_uses_the_datasource_variable_and_only_defined_variables(path: Path) -> None:
    board = dashboard(path)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    source = variables["datasource"]
    assert source["type"] == "datasource"
    assert source["query"] == "prometheus"
    assert source["current"]["value"] == provisioned_datasource_uid()
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE
    for _, title, expr in [t for t in panel_targets() if t[0] == path.name]:
        used = set(VARIABLE.findall(expr)) - GRAFANA_VARIABLES
        assert used <= set(variables), f"{title}: undefined variables {used - set(variables)}"


@pytest.mark.parametrize(("board", "title", "expr"), panel_targets(), ids=lambda v: str(v)[:60])
def test_every_panel_queries_metrics_and_labels_the_services_export(board: str, title: str, expr: str) -> None:
    names = metric_names(expr)
    assert names, f"{title} queries no pointstream metric"
    assert names <= set(exported_metrics()), f"{title}: unknown metrics {names - set(exported_metrics())}"
    assert not unknown_labels(expr), f"{title}: labels no metric carries: {unknown_labels(expr)}"


def test_every_dashboard_links_to_the_others() -> None:
    uids = {dashboard(path)["uid"] for path in DASHBOARDS}
    for path in DASHBOARDS:
        linked = {link["url"].removeprefix("/d/") for link in dashboard(path)["links"]}
        assert linked == uids


def provisioned_datasource_uid() -> str:
    [source] = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert source["type"] == "prometheus"
    return str(source["uid"])


def test_the_provisioned_dashboards_are_read_from_where_compose_mounts_them() -> None:
    [provider] = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "dashboards.yml")["providers"]
    mounts = load_yaml(DEPLOY / "docker-compose.yml")["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['options']['path']}:ro" in mounts
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in mounts
