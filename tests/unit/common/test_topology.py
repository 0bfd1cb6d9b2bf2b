"""The topology is declared once (the topic registry); what reads and writes topics is held to it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from services.common import topics
from services.common.codec import Codec, Decoded
from services.common.processor import Output, Processor, ProcessorConfig, undeclared
from services.common.statestore import StateView
from services.common.topics import UndeclaredWrite
from services.gateway import freshness, publish
from services.gateway.positions import Upstream

ROOT = Path(__file__).resolve().parents[3]


def nothing(key: bytes, decoded: Decoded, view: StateView) -> list[Output]:
    return []


def runtime(service: str) -> Processor:
    """The runtime's output path alone, without Kafka."""
    processor = Processor.__new__(Processor)
    processor.config = ProcessorConfig(service, topics.inputs_of(service), topics.EARN_STATE, nothing)
    processor.codec = Codec()
    processor._declared = {}
    return processor


def test_the_runtime_refuses_as_a_bug_an_output_its_service_is_not_declared_to_write() -> None:
    with pytest.raises(UndeclaredWrite, match=r"earn is not declared to write TierChanged on loyalty\.tiers"):
        runtime("earn")._encoded(Output(topics.TIERS, "TierChanged", {}), b"shop:c")


def test_a_declared_service_writing_a_record_of_another_writer_is_refused_too() -> None:
    with pytest.raises(UndeclaredWrite, match="earn is not declared to write PointsRedeemed"):
        runtime("earn")._encoded(Output(topics.LEDGER, "PointsRedeemed", {}), b"shop:c")


def test_a_configuration_outside_the_registry_is_refused_before_anything_runs() -> None:
    with pytest.raises(UndeclaredWrite, match=r"tier is not declared to use shop\.orders, earn\.customer-state"):
        undeclared(ProcessorConfig("tier", (topics.ORDERS,), topics.EARN_STATE, nothing))
    undeclared(ProcessorConfig("earn", topics.inputs_of("earn"), topics.EARN_STATE, nothing))


def test_the_stream_processors_consume_what_the_registry_says() -> None:
    assert [t.base for t in topics.inputs_of("earn")] == [
        "shop.orders",
        "shop.tasks",
        "shop.customers",
        "loyalty.tiers",
    ]
    assert [t.base for t in topics.inputs_of("tier")] == ["loyalty.ledger"]
    assert [t.base for t in topics.inputs_of("redeem")] == [
        "loyalty.redemption-requests", "loyalty.ledger", "loyalty.tiers", "redeem.expiry-ticks",
    ]  # fmt: skip


def test_a_topic_of_several_writers_names_the_decision_that_allows_it() -> None:
    for topic in topics.ALL:
        if len(topic.writers) > 1:
            assert (ROOT / topic.shared).exists(), topic.base
    with pytest.raises(ValueError, match="several writers"):
        topics.Topic("x", ("A",), (topics.Use("earn"), topics.Use("redeem")))


def test_the_registry_names_only_its_services_and_the_topics_records() -> None:
    with pytest.raises(ValueError, match="not services"):
        topics.Topic("x", ("A",), (topics.Use("nobody"),))
    with pytest.raises(ValueError, match="not records"):
        topics.Topic("x", ("A",), (topics.Use("earn", ("B",)),))


def test_read_your_writes_follows_the_declared_readers_from_what_the_gateway_writes() -> None:
    ledger, outcomes, tiers = topics.LEDGER.name, topics.REDEMPTION_OUTCOMES.name, topics.TIERS.name
    earn = Upstream("earn", (ledger,))
    redeem, tier = Upstream("redeem", (ledger, outcomes)), Upstream("tier", (tiers,))
    assert freshness.upstream() == {
        topics.ORDERS.name: (earn,), topics.TASKS.name: (earn,), topics.CUSTOMERS.name: (earn,),
        topics.REDEMPTION_REQUESTS.name: (redeem,), ledger: (redeem, tier),
    }  # fmt: skip
    assert freshness.projected() == {t.name for t in topics.ALL if t.read_by("projector")}


async def test_the_gateway_refuses_to_produce_onto_a_topic_it_does_not_write() -> None:
    with pytest.raises(UndeclaredWrite, match=r"gateway is not declared to write loyalty\.ledger"):
        await publish.produce_all(None, [(topics.LEDGER.name, b"k", b"v")])  # type: ignore[arg-type]


def _topics_named(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    names &= {n for n in dir(topics) if isinstance(getattr(topics, n), topics.Topic)}
    return {getattr(topics, n).base for n in names}


def test_the_gateways_code_names_only_topics_it_writes_or_the_read_models_follow() -> None:
    """A static check: a gateway module that names a topic outside these sets is writing or reading one the
    registry does not give it."""
    allowed = {t.base for t in topics.written_by("gateway")} | {t.base for t in topics.inputs_of("projector")}
    for path in sorted((ROOT / "services" / "gateway").rglob("*.py")):
        assert _topics_named(path) <= allowed, path
