"""A document reader's refusals come out as the domain's own kind, naming the field."""

from __future__ import annotations

import pytest

from services import fields
from services.program import ProgramError, parse_program
from services.redeem.catalog import InvalidReward, reward_from


def test_a_shared_reader_refusal_is_the_programs_or_the_rewards_own_kind() -> None:
    with pytest.raises(ProgramError) as program:
        parse_program({"daily_cap": "5"})
    assert (program.value.path, program.value.message) == ("daily_cap", "an integer")
    with pytest.raises(InvalidReward) as reward:
        reward_from({"name": "Mug", "kind": "physical", "points_price": True}, "shop", "mug")
    assert (reward.value.path, reward.value.message) == ("points_price", "an integer")


def test_a_domains_own_refusal_passes_through_unchanged() -> None:
    @fields.refusals_as(ProgramError)
    def read() -> None:
        raise ProgramError("tiers", "at least one tier")

    with pytest.raises(ProgramError, match="tiers: at least one tier"):
        read()
