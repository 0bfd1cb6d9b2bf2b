"""deploy/docker-compose.yml and the Dockerfile, checked where no Docker engine runs: syntax and references."""

from __future__ import annotations

import importlib.util
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.common.settings import Settings
from tests.conftest import demo_environment
from tests.unit.ops.deployfiles import COMPOSE, DEPLOY, ROOT, load_yaml, settings_env_vars

APPS = ("earn", "tier", "redeem", "projector", "gateway", "loadgen")
SCRAPED = ("earn", "tier", "redeem", "projector", "gateway")
"""Each scraped on its METRICS_PORT: the gateway's metrics are not on its API's port."""


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(COMPOSE)
    return loaded


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::([?-])([^}]*))?\}")


def interpolated(value: str, given: dict[str, str]) -> str:
    """`${NAME:?}` and `${NAME:-default}` as compose fills them in from `--env-file`; a missing required one fails."""

    def fill(match: re.Match[str]) -> str:
        name, kind, default = match.groups()
        if given.get(name):
            return given[name]
        assert kind == "-", f"compose stops: {name} is required"
        return default

    return INTERPOLATION.sub(fill, value)


def raw_env(name: str) -> dict[str, str]:
    return {key: str(value) for key, value in services()[name].get("environment", {}).items()}


def env(name: str) -> dict[str, str]:
    """A service's environment in the demo: `docker compose --env-file deploy/local/demo.env`."""
    return {key: interpolated(value, demo_environment()) for key, value in raw_env(name).items()}


@pytest.mark.parametrize("name", [*APPS, "init", "postgres", "grafana"])
def test_the_file_holds_no_credential_and_compose_stops_without_one(name: str) -> None:
    for key, value in raw_env(name).items():
        if re.search(r"(_KEYS|_SECRETS|PASSWORD|DATABASE_URL)$", key):
            assert INTERPOLATION.search(value), key
            with pytest.raises(AssertionError, match="compose stops"):
                interpolated(value, {})


def test_the_stack_has_the_infrastructure_the_init_and_every_service() -> None:
    assert set(services()) == {"kafka", "postgres", "prometheus", "grafana", "init", *APPS}


def test_every_dependency_is_a_service_and_waits_for_what_it_needs() -> None:
    for name, service in services().items():
        assert set(service.get("depends_on", {})) <= set(services()), name
    init = services()["init"]["depends_on"]
    assert init == {"kafka": {"condition": "service_healthy"}, "postgres": {"condition": "service_healthy"}}
    assert "healthcheck" in services()["kafka"]
    assert "healthcheck" in services()["postgres"]
    for app in APPS:
        assert services()[app]["depends_on"] == {"init": {"condition": "service_completed_successfully"}}


def test_the_init_creates_the_topics_and_migrates_the_database_once() -> None:
    init = services()["init"]
    assert init["restart"] == "no"
    assert init["command"] == ["sh", "-c", "pointstream topics create && pointstream migrate"]


def test_every_file_a_volume_mounts_exists() -> None:
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in compose()["volumes"], f"{name} uses the undeclared volume {source}"


@pytest.mark.parametrize("name", [*APPS, "init"])
def test_every_service_is_built_from_the_dockerfile_and_runs_a_module_that_exists(name: str) -> None:
    service = services()[name]
    context = DEPLOY / service["build"]["context"]
    assert context.resolve() == ROOT
    assert (context / service["build"]["dockerfile"]).is_file()
    command = service["command"]
    if command[:2] == ["python", "-m"]:
        assert importlib.util.find_spec(command[2]) is not None, command


def test_the_dockerfile_installs_the_project_on_python_3_11_slim() -> None:
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert re.search(r"^RUN pip install \.", dockerfile, re.M)
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        *sources, _ = line.split()
        assert all((ROOT / source).exists() for source in sources), line
    assert "POINTSTREAM_SCHEMAS=/app/schemas" in dockerfile
    assert "COPY schemas ./schemas" in dockerfile
    assert "METRICS_HOST=0.0.0.0" in dockerfile
    assert "GATEWAY_HOST=0.0.0.0" in dockerfile


@pytest.mark.parametrize("name", [*APPS, "init"])
def test_every_variable_set_for_a_service_is_one_it_reads(name: str) -> None:
    assert set(env(name)) - settings_env_vars() == set()


@pytest.mark.parametrize("name", [*APPS, "init"])
def test_settings_whose_default_is_this_machine_are_set_to_the_containers(name: str) -> None:
    local = {field.upper() for field, info in Settings.model_fields.items() if "127.0.0.1" in str(info.default)}
    assert local == {"KAFKA_BOOTSTRAP", "METRICS_HOST"}
    assert local | {"DATABASE_URL"} <= set(env(name))
    assert env(name)["METRICS_HOST"] == "0.0.0.0"
    assert env(name)["KAFKA_BOOTSTRAP"] == "kafka:9092"
    database = urlsplit(env(name)["DATABASE_URL"])
    postgres = env("postgres")
    assert (database.hostname, database.port, database.username, database.password, database.path) == (
        "postgres", 5432, postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], "/" + postgres["POSTGRES_DB"],
    )  # fmt: skip


def test_every_service_shares_one_partition_count_and_topic_namespace() -> None:
    for setting in ("PARTITIONS", "TOPIC_NAMESPACE"):
        assert len({env(name)[setting] for name in (*APPS, "init")}) == 1, setting


def test_every_instance_has_its_own_id_so_its_transactional_id_is_stable() -> None:
    ids = [env(name)["INSTANCE_ID"] for name in APPS]
    assert len(set(ids)) == len(ids)


def test_prometheus_scrapes_each_service_on_the_port_it_listens_on() -> None:
    config = load_yaml(DEPLOY / "prometheus" / "compose.yml")
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    for name in SCRAPED:
        assert targets[name] == [f"{name}:{env(name)['METRICS_PORT']}"]
        assert env(name).get("METRICS_HOST", "0.0.0.0") == "0.0.0.0"
    assert env("gateway")["GATEWAY_HOST"] == "0.0.0.0"
    assert env("gateway")["METRICS_PORT"] != env("gateway")["GATEWAY_PORT"]
    published = [port.split(":")[-1] for port in services()["gateway"]["ports"]]
    assert published == [env("gateway")["GATEWAY_PORT"]], "the metrics are not published outside the network"
    mounts = services()["prometheus"]["volumes"]
    assert "./prometheus/compose.yml:/etc/prometheus/prometheus.yml:ro" in mounts
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts


def test_kafka_is_one_kraft_node_with_transactions_on_one_replica_and_the_local_version() -> None:
    kafka = env("kafka")
    version = re.search(r"<kafka.version>(.+)</kafka.version>", (DEPLOY / "local" / "kafka" / "pom.xml").read_text())
    assert version
    assert services()["kafka"]["image"] == f"apache/kafka:{version.group(1)}"
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for setting in ("OFFSETS_TOPIC_REPLICATION_FACTOR", "TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                    "TRANSACTION_STATE_LOG_MIN_ISR", "MIN_INSYNC_REPLICAS", "DEFAULT_REPLICATION_FACTOR"):  # fmt: skip
        assert kafka[f"KAFKA_{setting}"] == "1", setting
    assert "PLAINTEXT://kafka:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"]


@pytest.mark.parametrize("name", ["earn", "tier", "redeem"])
def test_a_stream_processor_keeps_its_state_on_a_named_volume_at_its_state_dir(name: str) -> None:
    state_dir = env(name)["STATE_DIR"]
    [mount] = [v for v in services()[name]["volumes"] if v.endswith(f":{state_dir}")]
    assert mount.split(":")[0] in compose()["volumes"]
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert f"mkdir -p {state_dir}" in dockerfile, "a fresh volume takes the image's owner: the service's user"
