"""The reward catalog: `PUT /v1/rewards/{reward_id}` publishes a new version (admin key), `GET` reads it.

A version is the whole reward document (README: the catalog), validated by the redeem service's
parser. It is numbered the reward's latest + 1 under a per-shop lock, put on the compacted
`loyalty.rewards` topic (key `{shop}:{reward_id}`) and answered 202 once the broker acknowledged
it. The redeem service decides with the version it has read; `remaining` is the stock less what it
has reserved. Known gap: as for the program, if PostgreSQL fails after the broker's ack and before
the version's row commits, the next PUT may reuse the number until the projector has read it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from services.common import topics
from services.gateway.auth import AdminDep, CatalogReaderDep
from services.gateway.catalog import Catalog, InvalidReward, RewardAccepted, RewardOut, reward_from, shown
from services.gateway.deps import CodecDep, PoolDep, ProducerDep
from services.gateway.errors import ApiError
from services.gateway.freshness import FreshDep
from services.gateway.publish import produce_all
from services.gateway.responses import errors
from services.readmodels import messages
from services.readmodels.folds.programs import to_millis
from services.readmodels.folds.rewards import RewardVersion, next_version
from services.readmodels.postgres import rewards as rewards_db

router = APIRouter(prefix="/v1/rewards", tags=["rewards"])
RewardId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
RewardBody = Annotated[dict[str, Any], Body(description="the reward document (kind, points_price, stock, ...)")]


@router.put("/{reward_id}", status_code=202, responses=errors(401, 403, 422, 503))
async def configure(
    reward_id: RewardId, document: RewardBody, admin: AdminDep, pool: PoolDep, producer: ProducerDep, codec: CodecDep
) -> RewardAccepted:
    try:
        reward_from(document, admin.shop, reward_id)
    except InvalidReward as exc:
        raise ApiError(422, "invalid_reward", exc.message, {"field": exc.path}) from None
    async with pool.acquire() as conn, conn.transaction():
        await rewards_db.lock_shop(conn, admin.shop)
        latest = await rewards_db.latest_version(conn, admin.shop, reward_id)
        version = RewardVersion(
            admin.shop, reward_id, next_version(latest), to_millis(datetime.now(UTC)), admin.actor, document
        )
        topic = topics.REWARDS.name
        value = codec.encode("RewardConfigured", messages.reward_configured(version), topic)
        [position] = await produce_all(producer, [(topic, topics.reward_key(admin.shop, reward_id), value)])
        await rewards_db.write(conn, [version])
    return RewardAccepted(reward_id=reward_id, version=version.version, position=position)


@router.get("", responses=errors(400, 401, 409))
async def catalog(shop: CatalogReaderDep, _: FreshDep, pool: PoolDep) -> Catalog:
    """Every reward of the shop, as its latest version says, with what is left of its stock."""
    return Catalog(rewards=[out for stocked in await rewards_db.catalog(pool, shop) if (out := shown(stocked))])


@router.get("/{reward_id}", responses=errors(400, 401, 404, 409, 422))
async def reward(reward_id: RewardId, shop: CatalogReaderDep, _: FreshDep, pool: PoolDep) -> RewardOut:
    stocked = await rewards_db.one(pool, shop, reward_id)
    if stocked is None or (out := shown(stocked)) is None:
        raise ApiError(404, "unknown_reward", f"no reward {reward_id!r} in this shop", {"field": "reward_id"})
    return out
