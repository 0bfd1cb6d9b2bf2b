"""A shop's program: `PUT /v1/program` publishes a new version (admin key), `GET` reads the latest.

A version is the whole rules document (README: The loyalty program), validated by the parser that applies it
(`services.program`); `GET` shows it as configured (`rules`) and as applied, with the defaults filled in
(`effective_rules`). It is
numbered the shop's latest + 1 under a per-shop lock, put on the compacted `loyalty.programs` topic
(key `{shop}:{version}`), and answered 202 once the broker acknowledged it. It takes effect at
`effective_from` (query or body field), never earlier than now, so a replay picks the same version.
Known gap: if PostgreSQL fails after the broker's ack and before the version's row commits, the
next PUT may reuse the number until the projector has read the version from the topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from services.common import topics
from services.common.jsonio import InvalidEvent, parse_timestamp
from services.gateway.auth import AdminDep, ReaderDep
from services.gateway.deps import CodecDep, PoolDep, ProducerDep
from services.gateway.errors import ApiError
from services.gateway.freshness import FreshDep
from services.gateway.program_check import InvalidRules, ValidatorDep
from services.gateway.publish import produce_all
from services.gateway.responses import ProgramAccepted, ProgramOut, errors
from services.program import DEFAULT, render_program
from services.readmodels import messages
from services.readmodels.folds import programs
from services.readmodels.postgres import programs as programs_db

router = APIRouter(prefix="/v1", tags=["program"])
RulesBody = Annotated[
    dict[str, Any], Body(description="the rules document (missing keys take their defaults); may hold `effective_from`")
]
EffectiveFrom = Annotated[
    str | None, Query(max_length=40, description="ISO 8601 with a zone, or epoch milliseconds; default now")
]


@router.put("/program", status_code=202, responses=errors(401, 403, 422, 503))
async def configure(
    document: RulesBody,
    admin: AdminDep,
    validate: ValidatorDep,
    pool: PoolDep,
    producer: ProducerDep,
    codec: CodecDep,
    effective_from: EffectiveFrom = None,
) -> ProgramAccepted:
    rules, requested = split(document, effective_from)
    try:
        validate(rules)
    except InvalidRules as exc:
        raise ApiError(422, "invalid_program", exc.message, {"field": exc.field}) from None
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await programs_db.lock_shop(conn, admin.shop)
        version = programs.ProgramVersion(
            admin.shop,
            programs.next_version(await programs_db.latest_version(conn, admin.shop)),
            programs.effective_from(now, requested),
            programs.to_millis(now),
            admin.actor,
            rules,
        )
        topic = topics.PROGRAMS.name
        value = codec.encode("ProgramConfigured", messages.program_configured(version), topic)
        [position] = await produce_all(producer, [(topic, topics.program_key(admin.shop, version.version), value)])
        await programs_db.write(conn, [version])
    return ProgramAccepted(version=version.version, effective_from=version.effective_from, position=position)


@router.get("/program", responses=errors(400, 401, 409))
async def current(shop: ReaderDep, _: FreshDep, pool: PoolDep) -> ProgramOut:
    """The latest version, in effect or scheduled; version 0, the built-in program, while none is configured."""
    async with pool.acquire() as conn:
        latest = await programs_db.latest(conn, shop)
    if latest is None:
        return ProgramOut(
            version=0,
            effective_from=None,
            configured_at=None,
            actor=None,
            rules={},
            effective_rules=render_program(DEFAULT),
        )
    return ProgramOut(
        version=latest.version,
        effective_from=latest.effective_from,
        configured_at=latest.configured_at,
        actor=latest.actor,
        rules=dict(latest.rules),
        effective_rules=render_program(latest.program),
    )


def split(document: dict[str, Any], query: str | None) -> tuple[dict[str, Any], datetime | None]:
    """The rules and the requested `effective_from`, from the body field or the query (not both)."""
    rules = {k: v for k, v in document.items() if k != "effective_from"}
    if "effective_from" in document and query is not None:
        raise ApiError(422, "invalid_request", "give effective_from once: query or body", {"field": "effective_from"})
    raw = document.get("effective_from", query)
    if raw is None:
        return rules, None
    millis = isinstance(raw, str) and raw.isascii() and raw.isdigit()
    try:
        return rules, parse_timestamp(int(raw) if millis else raw, "effective_from")
    except InvalidEvent as exc:
        raise ApiError(422, "invalid_request", str(exc), {"field": "effective_from"}) from None
    except (OverflowError, ValueError, OSError):  # epoch milliseconds past the calendar
        raise ApiError(422, "invalid_request", "effective_from is out of range", {"field": "effective_from"}) from None
