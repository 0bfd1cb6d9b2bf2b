"""deploy/k8s: manifests that parse, reference what exists, probe the right endpoints and scale sensibly."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import pytest

from tests.unit.ops.deployfiles import K8S, load_yaml, load_yaml_documents, settings_env_vars

PROCESSORS = {"earn": 9101, "redeem": 9102, "tier": 9103, "projector": 9105}
SERVICES = (*PROCESSORS, "gateway")
STATEFUL = ("earn", "redeem", "tier")
"""The stream processors: their state on a volume of each pod's own."""
STATE_DIR = "/var/lib/pointstream/state"


def manifests() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in load_yaml_documents(path)]  # fmt: skip


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in manifests() if doc["kind"] == kind}


def workloads() -> dict[str, dict[str, Any]]:
    """The Deployments and StatefulSets, by name."""
    return of_kind("Deployment") | of_kind("StatefulSet")


def container(name: str) -> dict[str, Any]:
    [found] = workloads()[name]["spec"]["template"]["spec"]["containers"]
    return dict(found)


def env_of(spec: dict[str, Any]) -> dict[str, str]:
    """The container's environment as Kubernetes builds it: the ConfigMap, the Secret, then `env`."""
    values: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            values |= of_kind("ConfigMap")[source["configMapRef"]["name"]]["data"]
        if "secretRef" in source:
            values |= of_kind("Secret")[source["secretRef"]["name"]]["stringData"]
    for item in spec.get("env", []):
        values[item["name"]] = item.get("value", "<from the pod>")
    return values


def port_named(spec: dict[str, Any], name: str) -> int:
    [port] = [p["containerPort"] for p in spec["ports"] if p["name"] == name]
    return int(port)


def test_every_manifest_is_namespaced_and_listed_by_the_kustomization_except_the_secret() -> None:
    for doc in manifests():
        assert doc["apiVersion"]
        assert doc["kind"]
        assert doc["metadata"]["name"]
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "pointstream", doc["metadata"]["name"]
    listed = load_yaml(K8S / "kustomization.yaml")["resources"]
    assert all((K8S / path).is_file() for path in listed)
    assert set(listed) == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.yaml"}


def test_there_is_a_workload_per_service_and_a_job_for_topics_and_migrations() -> None:
    assert set(workloads()) == set(SERVICES)
    assert set(of_kind("StatefulSet")) == set(STATEFUL)
    [job] = of_kind("Job").values()
    [init] = job["spec"]["template"]["spec"]["containers"]
    assert init["command"] == ["sh", "-c", "pointstream topics create && pointstream migrate"]
    assert {"KAFKA_BOOTSTRAP", "DATABASE_URL", "PARTITIONS"} <= set(env_of(init))


@pytest.mark.parametrize("name", SERVICES)
def test_a_workload_selects_its_pods_runs_its_module_and_has_requests_and_limits(name: str) -> None:
    deployment = workloads()[name]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert deployment["spec"]["replicas"] >= 2, "one instance is no failover"
    spec = container(name)
    assert spec["command"][:2] == ["python", "-m"]
    assert importlib.util.find_spec(spec["command"][2]) is not None
    for bound in ("requests", "limits"):
        assert set(spec["resources"][bound]) == {"cpu", "memory"}
    assert spec["image"] == "pointstream:0.1.0"


@pytest.mark.parametrize("name", [*SERVICES, "pointstream-init"])
def test_every_variable_a_container_gets_is_one_the_services_read(name: str) -> None:
    pods = {**workloads(), **of_kind("Job")}
    [spec] = pods[name]["spec"]["template"]["spec"]["containers"]
    assert set(env_of(spec)) - settings_env_vars() == set()
    values = env_of(spec)
    assert {"KAFKA_BOOTSTRAP", "DATABASE_URL"} <= set(values), "their defaults point at 127.0.0.1"
    assert values["METRICS_HOST"] == "0.0.0.0"


def test_the_gateway_is_live_on_healthz_ready_on_readyz_and_reached_through_a_service() -> None:
    spec = container("gateway")
    port = port_named(spec, "http")
    assert port == int(env_of(spec)["GATEWAY_PORT"])
    assert env_of(spec)["GATEWAY_HOST"] == "0.0.0.0"
    assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    service = of_kind("Service")["gateway"]
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "gateway"}
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert "prometheus.io/scrape" not in service["metadata"].get("annotations", {})


def test_the_gateway_is_scraped_on_a_metrics_port_of_its_own_behind_a_headless_service() -> None:
    spec = container("gateway")
    port = int(env_of(spec)["METRICS_PORT"])
    assert port == port_named(spec, "metrics") != port_named(spec, "http")
    service = of_kind("Service")["gateway-metrics"]
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "gateway"}
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["metrics"]
    assert service["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": "/metrics",
    }  # fmt: skip


@pytest.mark.parametrize(("name", "port"), PROCESSORS.items())
def test_a_processor_is_probed_and_scraped_on_its_metrics_port(name: str, port: int) -> None:
    spec = container(name)
    assert int(env_of(spec)["METRICS_PORT"]) == port_named(spec, "metrics") == port
    assert env_of(spec)["INSTANCE_ID"] == "<from the pod>"
    for probe in ("livenessProbe", "readinessProbe"):
        assert spec[probe]["httpGet"]["port"] == "metrics"
    service = of_kind("Service")[f"{name}-metrics"]
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}
    assert service["metadata"]["annotations"]["prometheus.io/port"] == str(port)
    assert service["metadata"]["annotations"]["prometheus.io/scrape"] == "true"


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_a_disruption_budget_that_keeps_it_running(name: str) -> None:
    budget = of_kind("PodDisruptionBudget")[name]["spec"]
    assert budget["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
    assert budget.get("maxUnavailable") == 1 or budget.get("minAvailable") == 1


@pytest.mark.parametrize("name", PROCESSORS)
def test_a_processor_runs_no_more_instances_than_there_are_partitions(name: str) -> None:
    partitions = int(of_kind("ConfigMap")["pointstream-config"]["data"]["PARTITIONS"])
    assert workloads()[name]["spec"]["replicas"] <= partitions
    assert "partition" in (K8S / f"{name}.yaml").read_text().split("apiVersion")[0].lower()


def test_the_secret_holds_no_working_credential_and_says_how_to_create_it() -> None:
    text = (K8S / "secret.yaml").read_text()
    secret = of_kind("Secret")["pointstream-secrets"]
    pattern = r"(_KEYS|_SECRETS|DATABASE_URL|_PASSWORD|_BASIC_AUTH)$"
    credentials = {name for name in settings_env_vars() if re.search(pattern, name)}
    assert set(secret["stringData"]) == credentials, "every credential the services read, and only those"
    assert not credentials & set(of_kind("ConfigMap")["pointstream-config"]["data"])
    assert all(value == "" for value in secret["stringData"].values())
    assert "kubectl -n pointstream create secret generic pointstream-secrets" in text
    assert all(key in text.split("apiVersion")[0] for key in secret["stringData"])


def test_the_scrape_job_keeps_annotated_services_and_names_jobs_after_the_pods() -> None:
    [job] = load_yaml(K8S / "prometheus-scrape.yml")["scrape_configs"]
    relabels = job["relabel_configs"]
    assert relabels[0]["source_labels"] == ["__meta_kubernetes_service_annotation_prometheus_io_scrape"]
    assert relabels[0]["action"] == "keep"
    targets = {r.get("target_label") for r in relabels}
    assert "job" in targets
    assert "service" not in targets, "the services' own `service` label must survive"
    address = next(r for r in relabels if r.get("target_label") == "__address__")
    joined = ";".join(["10.0.0.7:9101", "9101"])
    assert re.sub(address["regex"], address["replacement"].replace("$", "\\"), joined) == "10.0.0.7:9101"
    for deployment in workloads().values():
        assert "app.kubernetes.io/name" in deployment["spec"]["template"]["metadata"]["labels"]


@pytest.mark.parametrize("name", STATEFUL)
def test_a_stream_processor_keeps_its_state_on_a_volume_of_its_own_under_its_pod_s_stable_name(name: str) -> None:
    workload = of_kind("StatefulSet")[name]["spec"]
    assert of_kind("Service")[workload["serviceName"]]["spec"]["clusterIP"] == "None"
    [claim] = workload["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"]
    spec = container(name)
    assert env_of(spec)["STATE_DIR"] == STATE_DIR
    assert env_of(spec)["INSTANCE_ID"] == "<from the pod>"
    instance = next(item for item in spec["env"] if item["name"] == "INSTANCE_ID")
    assert instance["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name", "earn-0, earn-1: stable across restarts"
    assert {"name": claim["metadata"]["name"], "mountPath": STATE_DIR} in spec["volumeMounts"]
    pod = workload["template"]["spec"]["securityContext"]
    assert pod["fsGroup"] == pod["runAsUser"], "the volume is writable by the service's user"
    assert int(env_of(spec)["STATE_CACHE_MB"]) * 4 <= mebibytes(spec["resources"]["limits"]["memory"])


def mebibytes(quantity: str) -> int:
    """A Kubernetes memory quantity in Mi or Gi, in MiB."""
    return int(quantity[:-2]) * (1024 if quantity.endswith("Gi") else 1)
