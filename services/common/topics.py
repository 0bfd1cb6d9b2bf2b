"""The topic registry: every topic once, with its key, its records and its single writer.

Customer-scoped topics are keyed by `"{shop_id}:{customer_id}"` and co-partitioned.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.settings import settings


@dataclass(frozen=True)
class Topic:
    base: str
    records: tuple[str, ...]
    writer: str
    key: str = "customer"
    compacted: bool = False
    broker_time: bool = False
    """Each record takes the broker's time as it is appended (LogAppendTime), whatever its producer says: for a
    topic shops write whose record times bound event times."""

    @property
    def name(self) -> str:
        return settings().topic_namespace + self.base

    @property
    def config(self) -> dict[str, str]:
        if self.compacted:
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
        kept = {"retention.ms": "-1", "retention.bytes": "-1"}
        return kept | {"message.timestamp.type": "LogAppendTime"} if self.broker_time else kept


ORDERS = Topic("shop.orders", ("OrderPaid", "OrderRefunded"), writer="shops, gateway")
TASKS = Topic("shop.tasks", ("TaskCompleted",), writer="shops, gateway")
CUSTOMERS = Topic("shop.customers", ("CustomerUpdated",), writer="shops, gateway")
REDEMPTION_REQUESTS = Topic(
    "loyalty.redemption-requests",
    ("RedemptionRequested", "RedemptionCancelled", "FreezeChanged", "AdjustmentRequested", "TransferRequested",
     "TransferReceived", "ExpiryTick"),
    writer="shops, gateway (requests and account commands); redeem (transfer credits)",
    broker_time=True,
)  # fmt: skip
"""An `ExpiryTick` here moves no clock: the old ticker's are skipped, any other is dead-lettered (the expiry
clock is EXPIRY_TICKS, which shops cannot write)."""
LEDGER = Topic(
    "loyalty.ledger",
    ("PointsEarned", "PointsClawedBack", "ClawbackCollected", "PointsRedeemed", "PointsRestored", "PointsExpired",
     "PointsAdjusted", "PointsTransferred", "OwedRepaid"),
    writer="earn (credits, clawbacks), redeem (debits, expiry, adjustments, transfers)",
)  # fmt: skip
REDEMPTION_OUTCOMES = Topic(
    "loyalty.redemption-outcomes",
    ("RedemptionApproved", "RedemptionRejected", "RedemptionReversed", "AccountCommandRejected",
     "AccountStatusChanged"),
    writer="redeem",
)  # fmt: skip
TRIGGERS = Topic("loyalty.triggers", ("BalanceThresholdCrossed",), writer="redeem")
"""For marketing systems: a customer's available balance crossed a shop-configured value."""
TIERS = Topic("loyalty.tiers", ("TierChanged",), writer="tier")
PROGRAMS = Topic("loyalty.programs", ("ProgramConfigured",), writer="gateway", key="program", compacted=True)
"""Every version of every shop's program, keyed `{shop_id}:{version}` so compaction keeps them all."""
REWARDS = Topic("loyalty.rewards", ("RewardConfigured",), writer="gateway", key="reward", compacted=True)
"""The catalog: every reward's latest version, keyed `{shop_id}:{reward_id}`."""
DLQ = Topic("loyalty.dlq", ("DeadLetter",), writer="every processor, the projector", key="source")
EARN_STATE = Topic("earn.customer-state", (), writer="earn", compacted=True)
"""Changelog of the earn service's per-customer state, written in the same transaction as its output."""

TIER_STATE = Topic("tier.customer-state", (), writer="tier", compacted=True)
"""Changelog of the tier service's per-customer state."""
REDEEM_STATE = Topic("redeem.customer-state", (), writer="redeem", compacted=True)
"""Changelog of the redeem service's per-customer balances."""
EXPIRY_TICKS = Topic("redeem.expiry-ticks", ("ExpiryTick",), writer="redeem", key="partition")
"""The time that expires lots: the redeem service's own clock, published to every partition (co-partitioned
with the customer topics, so a partition's tick reaches the instance holding its customers)."""

ALL = (
    ORDERS, TASKS, CUSTOMERS, REDEMPTION_REQUESTS, LEDGER, REDEMPTION_OUTCOMES, TRIGGERS, TIERS, PROGRAMS, REWARDS,
    DLQ, EARN_STATE, TIER_STATE, REDEEM_STATE, EXPIRY_TICKS,
)  # fmt: skip


def customer_key(shop_id: str, customer_id: str) -> bytes:
    return f"{shop_id}:{customer_id}".encode()


def program_key(shop_id: str, version: int) -> bytes:
    return f"{shop_id}:{version}".encode()


def reward_key(shop_id: str, reward_id: str) -> bytes:
    return f"{shop_id}:{reward_id}".encode()
