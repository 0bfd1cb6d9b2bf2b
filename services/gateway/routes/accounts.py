"""Staff operations on a customer's account (admin key): adjustments, freeze and unfreeze.

Each is a command on loyalty.redemption-requests, keyed by the customer, answered 202 once the
broker has it; the redeem service applies it (a ledger entry, a status change) or refuses it
(`AccountCommandRejected`, e.g. an adjustment that would take the available balance below zero
without `may_go_negative`). The key's fingerprint is the command's actor.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.gateway import commands
from services.gateway.auth import Admin, AdminDep
from services.gateway.bodies import AdjustmentBody, FreezeBody
from services.gateway.commands import CommandIdDep
from services.gateway.deps import CodecDep, ProducerDep
from services.gateway.responses import AdjustmentQueued, FreezeQueued, errors

router = APIRouter(prefix="/v1/customers", tags=["accounts"], responses=errors(401, 403, 422, 503))
CustomerId = Annotated[str, Path(min_length=1, max_length=256)]


@router.post("/{customer_id}/adjustments", status_code=202)
async def adjust(
    customer_id: CustomerId, body: AdjustmentBody, admin: AdminDep, producer: ProducerDep, codec: CodecDep,
    command_id: CommandIdDep,
) -> AdjustmentQueued:  # fmt: skip
    """Adds (points > 0, a lot available at once) or takes (points < 0) points, with a reason."""
    adjustment_id = body.adjustment_id or command_id
    record = commands.command(
        admin.shop, customer_id, commands.event_id(admin.shop, "adjustment", adjustment_id),
        adjustment_id=adjustment_id, points=body.points, reason=body.reason, actor=admin.actor,
        may_go_negative=body.may_go_negative,
    )  # fmt: skip
    position = await commands.publish(producer, codec, "AdjustmentRequested", record)
    return AdjustmentQueued(adjustment_id=adjustment_id, position=position)


@router.post("/{customer_id}/freeze", status_code=202)
async def freeze(
    customer_id: CustomerId, body: FreezeBody, admin: AdminDep, producer: ProducerDep, codec: CodecDep,
    command_id: CommandIdDep,
) -> FreezeQueued:  # fmt: skip
    """A frozen account keeps earning (into pending) but cannot redeem or transfer."""
    return await change(customer_id, True, body, admin, producer, codec, command_id)


@router.post("/{customer_id}/unfreeze", status_code=202)
async def unfreeze(
    customer_id: CustomerId, body: FreezeBody, admin: AdminDep, producer: ProducerDep, codec: CodecDep,
    command_id: CommandIdDep,
) -> FreezeQueued:  # fmt: skip
    return await change(customer_id, False, body, admin, producer, codec, command_id)


async def change(
    customer_id: str, frozen: bool, body: FreezeBody, admin: Admin, producer: ProducerDep, codec: CodecDep,
    event: str,
) -> FreezeQueued:  # fmt: skip
    record = commands.command(admin.shop, customer_id, event, frozen=frozen, reason=body.reason, actor=admin.actor)
    position = await commands.publish(producer, codec, "FreezeChanged", record)
    return FreezeQueued(command_id=event, position=position)
