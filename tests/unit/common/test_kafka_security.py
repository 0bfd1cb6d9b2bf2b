"""Every Kafka client takes the same security settings, so one set of variables reaches a managed Kafka."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from services.common import kafka
from services.common.settings import Settings, settings

MANAGED = {
    "KAFKA_BOOTSTRAP": "broker-1.example.cloud:9092",
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "loyalty",
    "KAFKA_SASL_PASSWORD": "s3cr3t-from-the-vault",
    "KAFKA_SSL_CA_LOCATION": "/etc/kafka/ca.pem",
}


@pytest.fixture
def managed_kafka(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in MANAGED.items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.mark.usefixtures("managed_kafka")
def test_producers_consumers_and_admin_clients_all_carry_sasl_and_tls() -> None:
    expected = {
        "bootstrap.servers": "broker-1.example.cloud:9092",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "loyalty",
        "sasl.password": "s3cr3t-from-the-vault",
        "ssl.ca.location": "/etc/kafka/ca.pem",
        "ssl.endpoint.identification.algorithm": "https",
    }
    for config in (kafka.producer_config("t-1"), kafka.consumer_config("group"), kafka.client_config()):
        assert expected.items() <= config.items()


@pytest.mark.usefixtures("managed_kafka")
def test_real_clients_accept_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """librdkafka checks property names and values when a client is made: a typo fails here."""
    monkeypatch.delenv("KAFKA_SSL_CA_LOCATION")  # it reads the file at once; the system's store instead
    settings.cache_clear()
    kafka.producer().flush(0)
    kafka.consumer("group").close()
    kafka.admin()


def test_plaintext_is_the_default_and_carries_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in MANAGED:
        monkeypatch.delenv(name, raising=False)
    assert kafka.security_config(Settings()) == {"security.protocol": "PLAINTEXT"}


def test_mutual_tls_passes_the_client_certificate_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("KAFKA_SSL_CERTIFICATE_LOCATION", "/etc/kafka/client.pem")
    monkeypatch.setenv("KAFKA_SSL_KEY_LOCATION", "/etc/kafka/client.key")
    config = kafka.security_config(Settings())
    assert config["ssl.certificate.location"] == "/etc/kafka/client.pem"
    assert config["ssl.key.location"] == "/etc/kafka/client.key"
    assert "sasl.mechanism" not in config


@pytest.mark.parametrize(
    "environment",
    [
        {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "PLAIN"},
        {"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT", "KAFKA_SASL_MECHANISM": "PLAIN"},
        {"KAFKA_SECURITY_PROTOCOL": "TLS"},
    ],
)
def test_an_incomplete_or_contradictory_security_setting_stops_the_process(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()
