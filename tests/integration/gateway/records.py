"""The redeem service's records, as it writes them, for tests that publish them in its stead.

Each builder returns `(record name, Avro record)`; `produce` puts them on the test's topics keyed by
`shop:customer`, as the redeem service does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from services.common import kafka, topics
from services.common.codec import Codec
from services.readmodels import messages
from services.readmodels.folds.rewards import RewardVersion
from tests.integration.gateway.conftest import AT

Named = tuple[str, dict[str, Any]]
Shares = Iterable[tuple[int, int]]
"""(lot number, points): lot `entry-{n}`, as `conftest.earned` opens them."""


def lots(shares: Shares, expires_at: datetime | None = None) -> list[dict[str, Any]]:
    return [{"lot_id": f"entry-{lot}", "points": points, "expires_at": expires_at} for lot, points in shares]


def entry(number: int, customer: str, **fields: Any) -> dict[str, Any]:
    return {"entry_id": f"redeem-{number}", "shop_id": "north", "customer_id": customer, "occurred_at": AT,
            "source_event_id": f"command-{number}", "reason": "test"} | fields  # fmt: skip


def collected(number: int, customer: str, claim: int, shares: Shares, owed: int = 0, uncollected: int = 0) -> Named:
    taken = lots(shares)
    return "ClawbackCollected", entry(
        number,
        customer,
        claim_entry_id=f"clawback-{claim}",
        lots=taken,
        points=sum(s["points"] for s in taken),
        owed=owed,
        uncollected=uncollected,
    )


def redeemed(number: int, customer: str, redemption: str, shares: Shares) -> Named:
    taken = lots(shares)
    return "PointsRedeemed", entry(number, customer, redemption_id=redemption, reward_id="mug", lots=taken,
                                   points=sum(s["points"] for s in taken))  # fmt: skip


def restored(number: int, customer: str, redemption: str, shares: Shares) -> Named:
    back = lots(shares)
    return "PointsRestored", entry(number, customer, redemption_id=redemption, lots=back,
                                   points=sum(s["points"] for s in back))  # fmt: skip


def repaid(number: int, customer: str, shares: Shares) -> Named:
    """What a customer owed, repaid from an earn credit's lot (the redeem service names it)."""
    taken = lots(shares)
    return "OwedRepaid", entry(number, customer, lots=taken, points=sum(s["points"] for s in taken))


def expired(number: int, customer: str, lot: int, points: int) -> Named:
    return "PointsExpired", entry(number, customer, lot_id=f"entry-{lot}", points=points)


def adjusted(number: int, customer: str, points: int, shares: Shares = (), uncovered: int = 0) -> Named:
    """A credit opens lot `entry-{number}`, available at once for ten years; a debit takes `shares`."""
    if points > 0:
        return "PointsAdjusted", entry(number, customer, points=points, adjustment_id=f"adj-{number}", actor="k",
                                       lots=lots([(number, points)]), available_at=AT,
                                       expires_at=AT + timedelta(days=3650))  # fmt: skip
    return "PointsAdjusted", entry(number, customer, points=points, adjustment_id=f"adj-{number}", actor="k",
                                   lots=lots(shares), uncovered=uncovered)  # fmt: skip


def transferred(number: int, customer: str, points: int, shares: Shares, expires_at: datetime | None = None) -> Named:
    return "PointsTransferred", entry(number, customer, points=points, transfer_id=f"t-{number}",
                                      counterparty_id="someone", lots=lots(shares, expires_at))  # fmt: skip


def outcome(name: str, customer: str, **fields: Any) -> Named:
    return name, {"shop_id": "north", "customer_id": customer, "occurred_at": AT} | fields


def approved(customer: str, redemption: str, points: int, **fields: Any) -> Named:
    return outcome("RedemptionApproved", customer, **{"redemption_id": redemption, "reward_id": "mug",
                                                      "quantity": 1, "points": points} | fields)  # fmt: skip


def produce(topic: str, records: Iterable[Named]) -> None:
    codec, producer = Codec(), kafka.producer()
    for name, record in records:
        producer.produce(
            topic, codec.encode(name, record), topics.customer_key(record["shop_id"], record["customer_id"])
        )
    assert producer.flush(30) == 0


def produce_outcomes(records: Iterable[Named]) -> None:
    produce(topics.REDEMPTION_OUTCOMES.name, records)


def produce_rewards(versions: Iterable[RewardVersion]) -> None:
    """RewardConfigured records onto loyalty.rewards, keyed `shop:reward_id` as the gateway writes them."""
    codec, producer = Codec(), kafka.producer()
    for v in versions:
        record = messages.reward_configured(v)
        producer.produce(
            topics.REWARDS.name, codec.encode("RewardConfigured", record), topics.reward_key(v.shop_id, v.reward_id)
        )
    assert producer.flush(30) == 0
