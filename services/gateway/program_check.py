"""Whether a program document is valid is for `services.program.parse_program` to say: every service applies it.

This is the gateway's one place that asks it; routes take the validator as a dependency, so tests
can put another in its stead. `InvalidRules.field` names the setting at fault (e.g.
`campaigns[0].multiplier`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends

from services.program import ProgramError, parse_program


class InvalidRules(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


Validator = Callable[[Mapping[str, Any]], None]


def validate(document: Mapping[str, Any]) -> None:
    try:
        parse_program(document)
    except ProgramError as exc:
        raise InvalidRules(exc.path, exc.message) from None


async def get_validator() -> Validator:
    return validate


ValidatorDep = Annotated[Validator, Depends(get_validator)]
