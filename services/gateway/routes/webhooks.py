"""`POST /v1/webhooks/shopify/{shop_id}`: Shopify's `orders/paid` and `refunds/create` as shop facts on Kafka.

Signed with `X-Shopify-Hmac-Sha256` by the shop's Shopify webhook secret (SHOPIFY_WEBHOOK_SECRETS; never
its own secret, SHOP_SECRETS); a bad or missing signature, or a shop without one, is a 401. A Shopify
app signs every shop's webhooks with one secret, so `X-Shopify-Shop-Domain` must be the domain
configured for the shop of the URL (SHOPIFY_SHOP_DOMAINS): another is a 403 `wrong_shop_domain`, and
a shop with none configured refuses webhooks (403 `shop_domain_not_configured`). Nothing refused is
published.
The translated event goes through the same checks and producer as `POST /v1/events`: 202 once
Kafka has it. Each paid order's customer is remembered, since a refund's webhook does not name it;
a refund of an order not seen yet is a 404, so Shopify retries it later.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import asyncpg
from confluent_kafka import Producer
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from pydantic import BaseModel, Field

from services.common import topics
from services.common.codec import Codec
from services.common.jsonio import InvalidEvent
from services.gateway import shopify
from services.gateway.deps import CodecDep, PoolDep, ProducerDep
from services.gateway.errors import ApiError
from services.gateway.inputs import TOPIC_OF, from_json
from services.gateway.publish import produce_all
from services.gateway.responses import errors
from services.gateway.tables import webhooks as orders
from services.gateway.write_settings import shop_domain, webhook_secret

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
IGNORED = Counter("pointstream_gateway_webhooks_ignored_total", "Shopify webhooks not published, by reason", ["reason"])
TOPICS = ("orders/paid", "refunds/create")
Translated = dict[str, Any] | shopify.Ignored
BODY = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}


class WebhookAccepted(BaseModel):
    event_id: str
    position: str = Field(description="`topic:partition:offset` of the event on shop.orders")


class WebhookIgnored(BaseModel):
    ignored: str = Field(description="why nothing was published")


@router.post(
    "/shopify/{shop_id}", status_code=202, response_model=WebhookAccepted, openapi_extra={"requestBody": BODY},
    responses={200: {"model": WebhookIgnored}, **errors(401, 403, 404, 422, 503)},
)  # fmt: skip
async def shopify_webhook(
    shop_id: str, request: Request, pool: PoolDep, codec: CodecDep, producer: ProducerDep,
    x_shopify_topic: Annotated[str | None, Header()] = None,
    x_shopify_hmac_sha256: Annotated[str | None, Header()] = None,
    x_shopify_shop_domain: Annotated[str | None, Header()] = None,
) -> WebhookAccepted | JSONResponse:  # fmt: skip
    raw = await request.body()
    secret = webhook_secret(shop_id)
    if secret is None or not shopify.signed(secret, raw, x_shopify_hmac_sha256):
        raise ApiError(401, "invalid_signature", "X-Shopify-Hmac-Sha256 is missing or does not sign this body")
    from_the_shop(shop_id, x_shopify_shop_domain)
    if x_shopify_topic not in TOPICS:
        return ignored(shopify.Ignored("unsupported_topic", f"topic {x_shopify_topic!r} is not handled"))
    try:
        event = await translate(pool, shop_id, x_shopify_topic, payload(raw))
    except shopify.InvalidWebhook as exc:
        raise ApiError(422, "invalid_webhook", str(exc), {"field": exc.field}) from None
    if isinstance(event, shopify.Ignored):
        return ignored(event)
    return WebhookAccepted(event_id=event["event_id"], position=await publish(codec, producer, event))


async def translate(pool: asyncpg.Pool, shop_id: str, topic: str, body: dict[str, Any]) -> Translated:
    if topic == "orders/paid":
        event = shopify.order_paid(shop_id, body)
        paid = (None, None) if isinstance(event, shopify.Ignored) else (event["customer_id"], event["currency"])
        await orders.remember_order(pool, shop_id, shopify.paid_order_id(body), *paid)
        return event
    order_id = shopify.refund_order_id(body)
    if (known := await orders.paid_order(pool, shop_id, order_id)) is None:
        message = f"order {order_id} has not been paid through this webhook yet; Shopify will retry later"
        raise ApiError(404, "unknown_order", message, {"field": "order_id"})
    customer_id, currency = known
    if customer_id is None or currency is None:
        return shopify.Ignored("no_customer", f"order {order_id} had no customer to take points back from")
    return shopify.refunded(shop_id, body, customer_id, currency)


async def publish(codec: Codec, producer: Producer, event: dict[str, Any]) -> str:
    try:
        name, record = from_json(codec, event)
    except InvalidEvent as exc:
        raise ApiError(422, "invalid_webhook", str(exc), {"field": exc.field}) from None
    topic = TOPIC_OF[name].name
    key = topics.customer_key(record["shop_id"], record["customer_id"])
    [position] = await produce_all(producer, [(topic, key, codec.encode(name, record, topic))])
    return position


def from_the_shop(shop_id: str, presented: str | None) -> None:
    """Refuses a webhook signed by the app for another of its shops."""
    if (domain := shop_domain(shop_id)) is None:
        raise ApiError(403, "shop_domain_not_configured", "this shop takes no webhooks until SHOPIFY_SHOP_DOMAINS "
                       "names its Shopify domain")  # fmt: skip
    if not shopify.same_shop(domain, presented):
        raise ApiError(403, "wrong_shop_domain", "X-Shopify-Shop-Domain is not this shop's Shopify domain",
                       {"field": "X-Shopify-Shop-Domain"})  # fmt: skip


def payload(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(422, "invalid_webhook", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_webhook", "the body must be a JSON object")
    return body


def ignored(reason: shopify.Ignored) -> JSONResponse:
    IGNORED.labels(reason.reason).inc()
    return JSONResponse({"ignored": reason.message}, 200)
