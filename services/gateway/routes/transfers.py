"""`POST /v1/transfers` (an `admin` or `events:write` key): points from one member of the shop to another.

A `TransferRequested` keyed by the sender: the redeem service takes the points from the sender's
lots and credits the recipient with the same expiry dates, both or neither, within the shop's
limits (or refuses it: `AccountCommandRejected`). The key's fingerprint is the actor.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.gateway import commands
from services.gateway.auth import ShopKeyDep
from services.gateway.bodies import TransferBody
from services.gateway.commands import CommandIdDep
from services.gateway.deps import CodecDep, ProducerDep
from services.gateway.responses import TransferQueued, errors

router = APIRouter(prefix="/v1", tags=["transfers"])


@router.post("/transfers", status_code=202, responses=errors(401, 422, 503))
async def transfer(
    body: TransferBody, key: ShopKeyDep, producer: ProducerDep, codec: CodecDep, command_id: CommandIdDep
) -> TransferQueued:
    transfer_id = body.transfer_id or command_id
    record = commands.command(
        key.shop, body.from_customer_id, commands.event_id(key.shop, "transfer", transfer_id),
        transfer_id=transfer_id, to_customer_id=body.to_customer_id, points=body.points, actor=key.actor,
    )  # fmt: skip
    position = await commands.publish(producer, codec, "TransferRequested", record)
    return TransferQueued(transfer_id=transfer_id, position=position)
