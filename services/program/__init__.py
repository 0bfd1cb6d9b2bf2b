"""A shop's program: one typed value, one parser, one set of defaults, one error. Pure.

Every service that applies the program (earn, tier, redeem) and the gateway that validates and
shows it use this package, and nothing else reads a program document:

- `Program` (`model`): frozen, every section (earning, tiers, lots, redemption); its defaults are
  the built-in program `DEFAULT`.
- `parse_program(document, version)` (`parse`): the document a shop PUTs at /v1/program, read whole
  or refused whole with a `ProgramError` naming the setting at fault.
- `render_program(program)` (`render`): the effective program as a document, defaults filled in.
"""

from services.program.model import (
    DEFAULT,
    DEFAULT_TASKS,
    DEFAULT_TIERS,
    MEMBER_DAY,
    WINDOW_MODES,
    Campaign,
    CircuitBreaker,
    Program,
    Segment,
    SpendBonus,
    TaskRule,
    Tier,
    TierWindow,
    Transfers,
    Window,
    WindowMode,
)
from services.program.parse import ProgramError, parse_program
from services.program.render import render_program

__all__ = [
    "DEFAULT", "DEFAULT_TASKS", "DEFAULT_TIERS", "MEMBER_DAY", "WINDOW_MODES", "Campaign", "CircuitBreaker",
    "Program", "ProgramError", "Segment", "SpendBonus", "TaskRule", "Tier", "TierWindow", "Transfers", "Window",
    "WindowMode", "parse_program", "render_program",
]  # fmt: skip
