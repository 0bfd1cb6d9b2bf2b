"""deploy/k8s/autoscaling: KEDA scales every stream processor on the lag of what it reads, up to the partitions."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from services.common import kafka, topics
from services.common.settings import settings
from services.projector import projector
from tests.unit.ops.deployfiles import K8S, OPERATIONS, ROOT, load_yaml, load_yaml_documents, settings_env_vars
from tests.unit.ops.test_k8s import PROCESSORS, STATEFUL, container, env_of, of_kind, workloads

COMPONENT = K8S / "autoscaling"
KAFKA_SCALER_AUTH = {"username", "password", "keyPassword", "sasl", "tls", "ca", "cert", "key"}
"""The parameters KEDA's Kafka scaler takes from a TriggerAuthentication (SASL and TLS)."""
KEDA_SASL = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512"}
"""KAFKA_SASL_MECHANISM in the words of KEDA's Kafka scaler."""


def keda_documents() -> list[dict[str, Any]]:
    return [doc for path in component()["resources"] for doc in load_yaml_documents(COMPONENT / path)]


def component() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(COMPONENT / "kustomization.yaml")
    return loaded


def keda_of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in keda_documents() if doc["kind"] == kind}


def scaled_objects() -> list[dict[str, Any]]:
    return [doc for doc in keda_documents() if doc["kind"] == "ScaledObject"]


def scaled_object_of(name: str) -> dict[str, Any]:
    [found] = [doc for doc in scaled_objects() if doc["spec"]["scaleTargetRef"]["name"] == name]
    return found


def config() -> dict[str, str]:
    data: dict[str, str] = of_kind("ConfigMap")["pointstream-config"]["data"]
    return data


@pytest.fixture
def deployed_namespace(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The settings as the pods get them: topic and group names under the ConfigMap's TOPIC_NAMESPACE."""
    monkeypatch.setenv("TOPIC_NAMESPACE", config()["TOPIC_NAMESPACE"])
    settings.cache_clear()
    yield
    settings.cache_clear()


def consumer_group(name: str) -> str:
    """The group the workload's instances consume in: a processor's service's (Processor) or the projector's."""
    return kafka.group_id(projector.GROUP if name == "projector" else name)


def test_the_default_kustomization_includes_the_component_which_lists_its_files() -> None:
    assert load_yaml(K8S / "kustomization.yaml")["components"] == ["autoscaling"]
    assert component()["apiVersion"] == "kustomize.config.k8s.io/v1alpha1"
    assert component()["kind"] == "Component"
    assert {p.name for p in COMPONENT.glob("*.yaml")} == {"kustomization.yaml", *component()["resources"]}
    for doc in keda_documents():
        assert doc["metadata"]["namespace"] == "pointstream", doc["metadata"]["name"]


def test_every_processor_and_only_those_has_one_scaled_object_whose_target_exists_with_its_kind() -> None:
    targets = [doc["spec"]["scaleTargetRef"] for doc in scaled_objects()]
    assert sorted(t["name"] for t in targets) == sorted(PROCESSORS), "the gateway scales on requests, not lag"
    for target in targets:
        workload = workloads()[target["name"]]
        assert (target["apiVersion"], target["kind"]) == (workload["apiVersion"], workload["kind"])
        assert target["kind"] == ("StatefulSet" if target["name"] in STATEFUL else "Deployment")
    assert all(doc["apiVersion"] == "keda.sh/v1alpha1" for doc in scaled_objects())


@pytest.mark.parametrize("name", PROCESSORS)
def test_a_processor_scales_up_to_the_partition_count_and_never_below_its_fixed_replicas(name: str) -> None:
    spec = scaled_object_of(name)["spec"]
    assert spec["maxReplicaCount"] == int(config()["PARTITIONS"]), "an instance beyond the partitions sits idle"
    assert spec["minReplicaCount"] >= 1, "a processor always runs: expiry sweeps are time-driven"
    assert spec["minReplicaCount"] >= workloads()[name]["spec"]["replicas"], "one instance is no failover"
    assert spec["minReplicaCount"] <= spec["maxReplicaCount"]


@pytest.mark.parametrize("name", PROCESSORS)
def test_a_processor_scales_slowly_since_every_change_is_a_rebalance(name: str) -> None:
    spec = scaled_object_of(name)["spec"]
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] >= 300 > spec["pollingInterval"]
    assert all(p["type"] == "Pods" and p["value"] == 1 for p in behavior["scaleDown"]["policies"])
    assert behavior["scaleUp"]["stabilizationWindowSeconds"] >= 2 * spec["pollingInterval"]
    assert all(p["periodSeconds"] >= 60 for p in behavior["scaleUp"]["policies"] + behavior["scaleDown"]["policies"])


@pytest.mark.usefixtures("deployed_namespace")
@pytest.mark.parametrize("name", PROCESSORS)
def test_a_processor_scales_on_the_lag_of_every_topic_it_reads_in_its_consumer_group(name: str) -> None:
    triggers = scaled_object_of(name)["spec"]["triggers"]
    assert {t["type"] for t in triggers} == {"kafka"}
    assert sorted(t["metadata"]["topic"] for t in triggers) == sorted(t.name for t in topics.inputs_of(name))
    for trigger in triggers:
        metadata = trigger["metadata"]
        assert all(isinstance(value, str) for value in metadata.values()), "KEDA's metadata is strings only"
        assert metadata["consumerGroup"] == consumer_group(name)
        assert metadata["offsetResetPolicy"] == kafka.consumer_config(None)["auto.offset.reset"]
        assert metadata["allowIdleConsumers"] == "false", "never more instances than partitions"
        assert int(metadata["lagThreshold"]) > 0
        assert "activationLagThreshold" not in metadata, "it only decides 0 <-> 1 instance: a processor never stops"


@pytest.mark.parametrize("name", PROCESSORS)
def test_the_scaler_asks_the_brokers_the_processor_uses(name: str) -> None:
    target = env_of(container(name))
    for trigger in scaled_object_of(name)["spec"]["triggers"]:
        metadata = trigger["metadata"]
        bootstrap = metadata.get("bootstrapServers") or target[metadata["bootstrapServersFromEnv"]]
        assert bootstrap == config()["KAFKA_BOOTSTRAP"]


@pytest.mark.parametrize("name", PROCESSORS)
def test_the_scaler_authenticates_with_what_exists_and_as_the_processors_do(name: str) -> None:
    configmaps = of_kind("ConfigMap") | keda_of_kind("ConfigMap")
    secret = of_kind("Secret")["pointstream-secrets"]["stringData"]
    for trigger in scaled_object_of(name)["spec"]["triggers"]:
        auth = keda_of_kind("TriggerAuthentication")[trigger["authenticationRef"]["name"]]["spec"]
        refs = auth.get("env", []) + auth.get("configMapTargetRef", []) + auth.get("secretTargetRef", [])
        assert {ref["parameter"] for ref in refs} <= KAFKA_SCALER_AUTH
        for ref in auth.get("env", []):
            assert ref["name"].startswith("KAFKA_"), "one of the processors' own Kafka settings"
            assert ref["name"] in settings_env_vars()
        for ref in auth.get("configMapTargetRef", []):
            assert ref["key"] in configmaps[ref["name"]]["data"]
        for ref in auth.get("secretTargetRef", []):
            assert ref["name"] == "pointstream-secrets"
            assert ref["key"] in secret


def test_the_scaler_s_sasl_and_tls_are_the_processors_security_protocol_in_keda_s_words() -> None:
    protocol = config()["KAFKA_SECURITY_PROTOCOL"]
    mechanism = config().get("KAFKA_SASL_MECHANISM", "")
    scaler = keda_of_kind("ConfigMap")["pointstream-kafka-scaler"]["data"]
    assert scaler["sasl"] == (KEDA_SASL[mechanism] if protocol.startswith("SASL_") else "")
    assert scaler["tls"] == ("enable" if protocol in ("SSL", "SASL_SSL") else "disable")


def test_the_component_drops_replicas_from_exactly_the_autoscaled_workloads() -> None:
    removed = {
        (patch["target"]["kind"], name)
        for patch in component()["patches"]
        if yaml.safe_load(patch["patch"]) == [{"op": "remove", "path": "/spec/replicas"}]
        for name in workloads()
        if re.fullmatch(patch["target"]["name"], name) and workloads()[name]["kind"] == patch["target"]["kind"]
    }
    targets = {
        (doc["spec"]["scaleTargetRef"]["kind"], doc["spec"]["scaleTargetRef"]["name"]) for doc in scaled_objects()
    }
    assert removed == targets, "the HPA owns their replicas; a fixed count would be reset by every apply"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its kustomize) is not installed")
def test_kustomize_builds_the_manifests_with_the_scaled_objects_and_without_the_processors_replicas() -> None:
    built = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, check=True, timeout=60)
    documents = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert sorted(doc["metadata"]["name"] for doc in documents if doc["kind"] == "ScaledObject") == sorted(PROCESSORS)
    for doc in documents:
        if doc["kind"] in ("StatefulSet", "Deployment"):
            assert ("replicas" in doc["spec"]) == (doc["metadata"]["name"] not in PROCESSORS)


def test_operations_say_how_to_install_keda_and_how_to_leave_autoscaling_out() -> None:
    text = OPERATIONS.read_text()
    assert "helm install keda kedacore/keda" in text
    assert "deploy/k8s/autoscaling" in text
    assert "deploy/k8s/autoscaling" in (ROOT / "README.md").read_text()
