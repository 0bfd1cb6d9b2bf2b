"""Answers that hold a secret shown once, a new API key or a customer token: nobody may keep them.

The route depends on `ShownOnce`, which sends `Cache-Control: no-store`; the idempotency middleware
then stores the answer without its secret (`without_secrets`), and a retry is told the secret is gone.
"""

from __future__ import annotations

import json

from fastapi import Depends, Response

SECRETS = frozenset({"key", "token"})
"""The fields of such answers that hold the secret."""


async def shown_once(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


ShownOnce = Depends(shown_once)


def without_secrets(body: bytes) -> bytes:
    """The JSON answer without its secret fields; an empty object if it is no JSON object."""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    return json.dumps(
        {k: v for k, v in answer.items() if k not in SECRETS} if isinstance(answer, dict) else {}
    ).encode()
