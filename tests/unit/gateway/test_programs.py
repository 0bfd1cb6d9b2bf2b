"""Program versions at the gateway: numbering, when they take effect, validation and the record on the wire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.codec import Codec
from services.gateway.errors import ApiError
from services.gateway.program_check import InvalidRules, validate
from services.gateway.routes.program import split
from services.readmodels import messages
from services.readmodels.folds.programs import (
    ProgramRecord,
    ProgramVersion,
    effective_from,
    last_of_each,
    next_version,
    to_millis,
)

NOW = datetime(2026, 6, 1, 12, 0, 0, 123_456, tzinfo=UTC)


def test_the_first_configured_version_is_one_and_each_next_is_the_latest_plus_one() -> None:
    assert (next_version(None), next_version(1), next_version(41)) == (1, 2, 42)


def test_a_version_never_takes_effect_in_the_past() -> None:
    assert effective_from(NOW, NOW - timedelta(days=3)) == to_millis(NOW)
    assert effective_from(NOW, None) == datetime(2026, 6, 1, 12, 0, 0, 123_000, tzinfo=UTC)
    assert effective_from(NOW, NOW + timedelta(days=3)) == to_millis(NOW + timedelta(days=3))


def test_the_log_keeps_the_last_record_of_each_shop_and_version() -> None:
    def record(shop: str, version: int, actor: str) -> ProgramRecord:
        return ProgramRecord(ProgramVersion(shop, version, NOW, NOW, actor, {}), 0, 0)

    kept = last_of_each(
        [record("north", 1, "a"), record("north", 2, "b"), record("north", 1, "c"), record("x", 1, "d")]
    )
    assert sorted((v.shop_id, v.version, v.actor) for v in kept) == [
        ("north", 1, "c"),
        ("north", 2, "b"),
        ("x", 1, "d"),
    ]


def test_a_version_goes_on_the_wire_as_program_configured_and_reads_back_the_same() -> None:
    version = ProgramVersion("north", 3, to_millis(NOW), to_millis(NOW), "admin-key:abc", {"daily_cap": 500})
    codec = Codec()
    decoded = codec.decode(codec.encode("ProgramConfigured", messages.program_configured(version)))
    assert messages.program_record(decoded, 2, 9) == ProgramRecord(version, 2, 9)


def test_effective_from_comes_from_the_body_or_the_query_and_leaves_the_rules() -> None:
    assert split({"daily_cap": 5, "effective_from": "2027-01-01T00:00:00Z"}, None) == (
        {"daily_cap": 5}, datetime(2027, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    assert split({}, "1798761600000") == ({}, datetime(2027, 1, 1, tzinfo=UTC))
    assert split({"daily_cap": 5}, None) == ({"daily_cap": 5}, None)


@pytest.mark.parametrize(
    ("document", "query"),
    [({"effective_from": "tomorrow"}, None), ({}, "2027-01-01T00:00:00"), ({"effective_from": "2027-01-01Z"}, "1")],
)
def test_an_unreadable_or_twice_given_effective_from_is_refused(document: dict[str, object], query: str | None):
    with pytest.raises(ApiError) as refused:
        split(document, query)
    assert (refused.value.status, refused.value.details) == (422, {"field": "effective_from"})


def test_the_earn_services_parser_judges_a_document_and_names_the_field_at_fault() -> None:
    validate({})
    validate({"timezone": "UTC", "tiers": [{"name": "member", "threshold": 0, "multiplier": "1"}]})
    with pytest.raises(InvalidRules) as invalid:
        validate({"campaigns": [{"name": "member-day", "multiplier": "-2"}]})
    assert invalid.value.field == "campaigns[0].multiplier"
