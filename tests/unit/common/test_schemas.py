"""The contract: every schema parses, and every change stays compatible with its history."""

from __future__ import annotations

import json
import random
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from services.common.schemas import SCHEMAS_DIR, contract, load
from tests.unit.common.avro_samples import sample

ROOT = SCHEMAS_DIR.parent
CURRENT = sorted(SCHEMAS_DIR.glob("*.avsc"))
INPUT_EVENTS = ("OrderPaid", "OrderRefunded", "TaskCompleted", "RedemptionRequested")


def committed_versions(path: Path) -> list[tuple[str, dict[str, object]]]:
    """Every version of `path` in the repository's history, oldest first."""
    rel = path.relative_to(ROOT)
    log = subprocess.run(
        ["git", "log", "--format=%H", "--follow", "--", str(rel)], cwd=ROOT, capture_output=True, text=True
    )
    versions = []
    for commit in reversed(log.stdout.split()):
        shown = subprocess.run(["git", "show", f"{commit}:{rel}"], cwd=ROOT, capture_output=True, text=True)
        if shown.returncode == 0:
            versions.append((commit[:10], json.loads(shown.stdout)))
    return versions


def round_trip(writer: dict[str, object], reader: dict[str, object], seed: int) -> None:
    w, r = parse_schema(writer), parse_schema(reader)
    rng = random.Random(seed)
    for _ in range(25):
        out = BytesIO()
        schemaless_writer(out, w, sample(writer, rng))
        schemaless_reader(BytesIO(out.getvalue()), w, r)


@pytest.mark.parametrize("path", CURRENT, ids=lambda p: p.stem)
def test_every_schema_parses_and_is_named_after_its_file(path: Path) -> None:
    schema = load(path)
    assert schema.name == path.stem
    assert schema.definition["namespace"] == "io.pointstream"


def test_the_contract_holds_every_event_of_the_design() -> None:
    names = set(contract().current)
    assert set(INPUT_EVENTS) <= names
    assert {"PointsEarned", "RedemptionApproved", "RedemptionRejected", "TierChanged", "DeadLetter"} <= names


@pytest.mark.parametrize("path", CURRENT, ids=lambda p: p.stem)
def test_every_committed_version_can_be_read_by_the_current_schema_and_back(path: Path) -> None:
    current = json.loads(path.read_text())
    for commit, old in committed_versions(path):
        round_trip(old, current, seed=1)  # new readers read old events (replay from the start)
        round_trip(current, old, seed=2)  # old readers read new events (rolling upgrades)
        if load_fingerprint(old) != load(path).fingerprint:
            assert load_fingerprint(old) in contract().historic, (
                f"{path.stem}@{commit} must be kept in schemas/history/"
            )


def load_fingerprint(definition: dict[str, object]) -> bytes:
    tmp = SCHEMAS_DIR / ".probe.avsc"
    try:
        tmp.write_text(json.dumps(definition))
        return load(tmp).fingerprint
    finally:
        tmp.unlink()


@pytest.mark.parametrize("name", INPUT_EVENTS)
def test_input_events_carry_the_common_fields(name: str) -> None:
    fields = {f["name"]: f["type"] for f in contract().current[name].definition["fields"]}
    assert {"event_id", "shop_id", "customer_id", "occurred_at"} <= set(fields)
    assert fields["occurred_at"] == {"type": "long", "logicalType": "timestamp-millis"}


def test_money_and_points_are_never_floats_or_decimals() -> None:
    text = " ".join(p.read_text() for p in CURRENT)
    assert '"float"' not in text
    assert '"double"' not in text
    assert "decimal" not in text
