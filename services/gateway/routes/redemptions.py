"""Redemptions: `POST /v1/redemptions` asks (an `events:write` key, or a customer token for its own
customer), `GET /v1/redemptions/{id}` follows it (a `read` key, or the customer's token), and
`POST /v1/redemptions/{id}/cancel` takes an approved one back (`admin`).

The request goes onto loyalty.redemption-requests, keyed by the customer; the redeem service
decides it and the projector brings its outcome. The request is recorded at once, so its id is
known (`pending`) before the outcome. A redemption id is the caller's to choose, so a retry is
the same redemption; the same id for another request is a 409. The cash part of a points + cash
redemption is a fact of the shop's checkout: only an `events:write` key states it, and a customer
token stating `cash_minor` is a 403 (the token's customer would otherwise set their own price).
A shipping address is personal data: it is stored in PostgreSQL beside the request (erasable,
`routes.personal_data`), never put on Kafka.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.gateway import commands
from services.gateway.auth import AdminDep, RedeemerDep, RedemptionReaderDep, for_customer
from services.gateway.bodies import CancelBody, RedemptionBody
from services.gateway.commands import CommandIdDep
from services.gateway.deps import CodecDep, PoolDep, ProducerDep
from services.gateway.errors import ApiError
from services.gateway.freshness import FreshDep
from services.gateway.responses import RedemptionOut, RedemptionQueued, errors
from services.readmodels.folds.redemptions import Redemption, same_request
from services.readmodels.postgres import personal_data
from services.readmodels.postgres import redemptions as redemptions_db

router = APIRouter(prefix="/v1/redemptions", tags=["redemptions"])
RedemptionId = Annotated[str, Path(min_length=1, max_length=128)]


@router.post("", status_code=202, responses=errors(401, 403, 409, 422, 503))
async def ask(
    body: RedemptionBody, credential: RedeemerDep, pool: PoolDep, producer: ProducerDep, codec: CodecDep,
    command_id: CommandIdDep,
) -> RedemptionQueued:  # fmt: skip
    shop = for_customer(credential, body.customer_id)
    if credential.customer_id is not None and body.cash_minor is not None:
        raise ApiError(403, "forbidden", "only the shop's checkout (an `events:write` key) states the cash part "
                       "of a redemption; a customer token redeems in points", {"field": "cash_minor"})  # fmt: skip
    redemption_id = body.redemption_id or command_id
    async with pool.acquire() as conn, conn.transaction():
        await redemptions_db.lock(conn, shop, redemption_id)
        known = await redemptions_db.one(conn, shop, redemption_id)
        if known is not None and not same_request(
            known, body.customer_id, body.reward_id, body.quantity, body.cash_minor
        ):
            raise ApiError(409, "redemption_exists", f"redemption {redemption_id!r} is another request",
                           {"field": "redemption_id"})  # fmt: skip
        record = commands.command(
            shop, body.customer_id, commands.event_id(shop, "redemption", redemption_id),
            redemption_id=redemption_id, reward_id=body.reward_id, quantity=body.quantity, cash_minor=body.cash_minor,
        )  # fmt: skip
        if body.shipping_address is not None:
            await personal_data.store_address(conn, shop, body.customer_id, redemption_id,
                                              body.shipping_address.model_dump(), record["occurred_at"])  # fmt: skip
        position = await commands.publish(producer, codec, "RedemptionRequested", record)
        requested = Redemption(shop, redemption_id, body.customer_id, body.reward_id, body.quantity, body.cash_minor,
                               requested_at=record["occurred_at"])  # fmt: skip
        await redemptions_db.record_request(conn, requested)
    return RedemptionQueued(redemption_id=redemption_id, position=position)


@router.get("/{redemption_id}", responses=errors(400, 401, 404, 409))
async def follow(redemption_id: RedemptionId, reader: RedemptionReaderDep, _: FreshDep, pool: PoolDep) -> RedemptionOut:
    """Another customer's redemption is unknown to a customer token, as another shop's is to a key."""
    redemption = await redemptions_db.one(pool, reader.shop, redemption_id)
    if redemption is None or not reader.sees(redemption.customer_id):
        raise unknown(redemption_id)
    fields = {k: v for k, v in vars(redemption).items() if k != "shop_id"}
    address = await personal_data.address(pool, reader.shop, redemption.customer_id, redemption_id)
    return RedemptionOut(**fields, shipping_address=address)


@router.post("/{redemption_id}/cancel", status_code=202, responses=errors(401, 403, 404, 409, 422, 503))
async def cancel(
    redemption_id: RedemptionId, body: CancelBody, admin: AdminDep, pool: PoolDep, producer: ProducerDep,
    codec: CodecDep,
) -> RedemptionQueued:  # fmt: skip
    """Points go back to the lots they came from (those not expired), stock is released: `reversed`."""
    redemption = await redemptions_db.one(pool, admin.shop, redemption_id)
    if redemption is None:
        raise unknown(redemption_id)
    if redemption.status in ("rejected", "reversed"):
        raise ApiError(409, "not_cancellable", f"redemption {redemption_id!r} is {redemption.status}")
    record = commands.command(
        admin.shop, redemption.customer_id, commands.event_id(admin.shop, "cancellation", redemption_id),
        redemption_id=redemption_id, reason=body.reason, actor=admin.actor,
    )  # fmt: skip
    position = await commands.publish(producer, codec, "RedemptionCancelled", record)
    return RedemptionQueued(redemption_id=redemption_id, position=position)


def unknown(redemption_id: str) -> ApiError:
    return ApiError(404, "unknown_redemption", f"no redemption {redemption_id!r} in this shop",
                    {"field": "redemption_id"})  # fmt: skip
