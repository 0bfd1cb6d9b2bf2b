"""Which group protocol each stream processor's consumer takes: partition p of every input on one instance."""

from __future__ import annotations

import pytest

from services.common import kafka, topics


@pytest.mark.parametrize("service", ["earn", "redeem"])
def test_a_processor_of_several_co_partitioned_inputs_rebalances_with_range(service: str) -> None:
    inputs = topics.inputs_of(service)
    assert len(inputs) > 1
    config = kafka.consumer_config("group", **kafka.assignment(len(inputs)))
    assert config["partition.assignment.strategy"] == "range"


def test_a_processor_of_one_input_rebalances_incrementally() -> None:
    assert len(topics.inputs_of("tier")) == 1
    config = kafka.consumer_config("group", **kafka.assignment(1))
    assert config["partition.assignment.strategy"] == "cooperative-sticky"
