"""The `pointstream` command line: each command reaches its logic with the options given, errors in one line."""

from __future__ import annotations

from typing import Any

import pytest

from services.cli import pointstream as cli
from services.common import replay
from services.loadgen import live
from services.projector import rebuild


def test_every_command_is_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listed = capsys.readouterr().out
    for command in ("topics", "migrate", "rebuild", "replay-dlq", "inspect", "loadgen"):
        assert command in listed


def test_replay_dlq_passes_its_filter_dry_run_and_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def fake(wanted: replay.Filter, **options: Any) -> replay.Replayed:
        seen.update(options, wanted=wanted)
        return replay.Replayed(2, 5, "dlq-replay.x")

    monkeypatch.setattr(replay, "replay", fake)
    cli.main(["replay-dlq", "--topic", "shop.orders", "--reason", "KeyError", "--dry-run", "--limit", "3"])
    assert seen == {"wanted": replay.Filter("shop.orders", "KeyError"), "dry_run": True, "limit": 3}
    assert capsys.readouterr().out == "replay-dlq: would re-send 2 dead letter(s), passed over 5 (group dlq-replay.x)\n"


def test_rebuild_reports_its_rate_and_a_refusal_is_one_line_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(rebuild, "rebuild", lambda *a, **k: rebuild.Rebuilt(5000, 2.0, ("lots",), ("odd",)))
    cli.main(["rebuild", "--force"])
    out = capsys.readouterr()
    assert out.out == "rebuild: 5000 records projected into 1 emptied tables in 2.0 s, 2,500 events/s\n"
    assert out.err == "rebuild: kept tables it does not know: odd\n"

    def refuse(*args: Any, **kwargs: Any) -> rebuild.Rebuilt:
        raise rebuild.ProjectorRunning("the projector is running")

    monkeypatch.setattr(rebuild, "rebuild", refuse)
    with pytest.raises(SystemExit):
        cli.main(["rebuild"])
    assert capsys.readouterr().err == "pointstream rebuild: the projector is running\n"


def test_loadgen_passes_rate_duration_and_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def fake(*args: Any, **kwargs: Any) -> int:
        seen.append(args)
        return 7

    monkeypatch.setattr(live, "run", fake)
    cli.main(["loadgen", "--rate", "50", "--duration", "2", "--seed", "9"])
    assert seen == [(50.0, 2.0, 9, 0.002)]


def test_a_filter_names_its_own_cursor_and_matches_by_topic_and_reason_text() -> None:
    unfiltered, by_reason = replay.Filter(), replay.Filter(reason="KeyError")
    assert unfiltered.group().endswith("dlq-replay")
    assert by_reason.group() != unfiltered.group()
    assert by_reason.group() == replay.Filter(reason="KeyError").group()
