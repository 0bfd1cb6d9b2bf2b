"""Settings in one place per process: the services read the environment only through their settings modules
(`services/common/settings.py`, a service's own `settings.py`), which pydantic-settings fills."""

from __future__ import annotations

from tests.unit.ops.deployfiles import ROOT


def test_no_module_of_the_services_reads_the_environment_itself() -> None:
    sources = sorted((ROOT / "services").rglob("*.py"))
    reading = [str(p.relative_to(ROOT)) for p in sources if "os.environ" in (t := p.read_text()) or "getenv" in t]
    assert reading == []
