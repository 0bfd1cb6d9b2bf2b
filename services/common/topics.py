"""The topic registry: every topic once, with its key, its records, who writes it and who reads it.

This is the one place the topology is declared. The stream processors' inputs (`inputs_of`), the
projector's topics, the gateway's read-your-writes chain and the gateway's producers are derived from
it or checked against it (`writes`): the stream runtime refuses an output its service is not declared
to write, the gateway a record onto a topic it does not write. README's topic table is printed from it
(`python -m services.common.topics`) and a test keeps the two the same.

A topic has one writer, except where a decision record says why several are safe (`shared`, see
docs/decisions/0003-shared-writers.md). Customer-scoped topics are keyed by `"{shop_id}:{customer_id}"`
and co-partitioned.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.settings import settings

SERVICES = ("earn", "tier", "redeem", "gateway", "projector", "cli")
"""The processes of this repository that read or write topics (`cli`: the operator's `pointstream`)."""
SHARED_WRITERS = "docs/decisions/0003-shared-writers.md"


class UndeclaredWrite(Exception):
    """Code wrote a topic (or a record on it) its service is not declared to write: a bug, never produced."""


@dataclass(frozen=True)
class Use:
    """A service that writes or reads a topic, and the records it writes or takes (none named: all of them)."""

    service: str
    records: tuple[str, ...] = ()

    def covers(self, record: str) -> bool:
        return not self.records or record in self.records


@dataclass(frozen=True)
class Topic:
    base: str
    records: tuple[str, ...]
    writers: tuple[Use, ...]
    readers: tuple[Use, ...] = ()
    """Services that consume it in their consumer group and turn its records into their outputs."""
    context: tuple[str, ...] = ()
    """Services that consume it in their consumer group only to keep it in their state (no output follows)."""
    tables: tuple[str, ...] = ()
    """Services that read it whole into memory, outside any consumer group (a global table or a changelog)."""
    outside_writers: str = ""
    """Who writes it from outside the services (shops, and the demo traffic standing in for them)."""
    outside_readers: str = ""
    """Who reads it from outside the services (a shop's marketing systems)."""
    shared: str = ""
    """The decision that lets several services write it; required when they do."""
    key: str = "customer"
    compacted: bool = False
    broker_time: bool = False
    """Each record takes the broker's time as it is appended (LogAppendTime), whatever its producer says: for a
    topic shops write whose record times bound event times."""

    def __post_init__(self) -> None:
        named = {u.service for u in self.writers + self.readers} | set(self.context) | set(self.tables)
        if unknown := named - set(SERVICES):
            raise ValueError(f"{self.base}: {sorted(unknown)} are not services of the registry")
        if len(self.writers) > 1 and not self.shared:
            raise ValueError(f"{self.base} has several writers: name the decision that allows it (`shared`)")
        declared = {r for u in self.writers + self.readers for r in u.records}
        if stray := declared - set(self.records):
            raise ValueError(f"{self.base}: {sorted(stray)} are not records of the topic")

    @property
    def name(self) -> str:
        return settings().topic_namespace + self.base

    @property
    def config(self) -> dict[str, str]:
        if self.compacted:
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
        kept = {"retention.ms": "-1", "retention.bytes": "-1"}
        return kept | {"message.timestamp.type": "LogAppendTime"} if self.broker_time else kept

    def writes(self, service: str, record: str | None = None) -> bool:
        """Whether `service` is declared to write this topic (`record` on it, when named)."""
        return any(u.service == service and (record is None or u.covers(record)) for u in self.writers)

    def read_by(self, service: str) -> tuple[str, ...]:
        """The records `service` takes from it as a reader; () when it is not one."""
        return next((u.records or self.records for u in self.readers if u.service == service), ())

    def consumed_by(self, service: str) -> bool:
        """Whether `service` consumes it in its consumer group (as a reader or for context)."""
        return bool(self.read_by(service)) or service in self.context


def _all(*services: str) -> tuple[Use, ...]:
    return tuple(Use(s) for s in services)


SHOPS = "shops (loadgen stands in for them in demos)"
ORDERS = Topic(
    "shop.orders", ("OrderPaid", "OrderRefunded"), _all("gateway"), _all("earn"), outside_writers=SHOPS,
    broker_time=True,
)  # fmt: skip
"""The broker's time on the shops' topics bounds how far a future-dated event moves earn's clock (its retention)."""
TASKS = Topic("shop.tasks", ("TaskCompleted",), _all("gateway"), _all("earn"), outside_writers=SHOPS, broker_time=True)
CUSTOMERS = Topic(
    "shop.customers", ("CustomerUpdated",), _all("gateway"), _all("earn"), outside_writers=SHOPS, broker_time=True
)
REDEMPTION_REQUESTS = Topic(
    "loyalty.redemption-requests",
    ("RedemptionRequested", "RedemptionCancelled", "FreezeChanged", "AdjustmentRequested", "TransferRequested",
     "TransferReceived", "ExpiryTick"),
    writers=(Use("gateway", ("RedemptionRequested", "RedemptionCancelled", "FreezeChanged", "AdjustmentRequested",
                             "TransferRequested")),
             Use("redeem", ("TransferReceived",))),
    readers=(Use("redeem"), Use("projector", ("RedemptionRequested",))),
    outside_writers=SHOPS,
    shared=SHARED_WRITERS,
    broker_time=True,
)  # fmt: skip
"""An `ExpiryTick` here moves no clock: the old ticker's are skipped, any other is dead-lettered (the expiry
clock is EXPIRY_TICKS, which shops cannot write)."""
LEDGER = Topic(
    "loyalty.ledger",
    ("PointsEarned", "PointsClawedBack", "ClawbackCollected", "PointsRedeemed", "PointsRestored", "PointsExpired",
     "PointsAdjusted", "PointsTransferred", "OwedRepaid"),
    writers=(Use("earn", ("PointsEarned", "PointsClawedBack")),
             Use("redeem", ("ClawbackCollected", "PointsRedeemed", "PointsRestored", "PointsExpired", "PointsAdjusted",
                            "PointsTransferred", "OwedRepaid"))),
    readers=_all("redeem", "tier", "projector"),
    shared=SHARED_WRITERS,
)  # fmt: skip
"""Earn writes the credits and clawback claims, redeem every debit (with its lot shares) and what it collects."""
REDEMPTION_OUTCOMES = Topic(
    "loyalty.redemption-outcomes",
    ("RedemptionApproved", "RedemptionRejected", "RedemptionReversed", "AccountCommandRejected",
     "AccountStatusChanged"),
    _all("redeem"),
    _all("projector"),
)  # fmt: skip
TRIGGERS = Topic(
    "loyalty.triggers", ("BalanceThresholdCrossed",), _all("redeem"), outside_readers="marketing systems (outside)"
)
"""For marketing systems: a customer's available balance crossed a shop-configured value."""
TIERS = Topic("loyalty.tiers", ("TierChanged",), _all("tier"), _all("projector"), context=("earn", "redeem"))
PROGRAMS = Topic(
    "loyalty.programs", ("ProgramConfigured",), _all("gateway"), _all("projector"), tables=("earn", "tier", "redeem"),
    outside_writers="loadgen (demo and benchmark programs)", key="program", compacted=True,
)  # fmt: skip
"""Every version of every shop's program, keyed `{shop_id}:{version}` so compaction keeps them all."""
REWARDS = Topic(
    "loyalty.rewards", ("RewardConfigured",), _all("gateway"), _all("projector"), tables=("redeem",),
    outside_writers="loadgen (the demo catalog)", key="reward", compacted=True,
)  # fmt: skip
"""The catalog: every reward's latest version, keyed `{shop_id}:{reward_id}`."""
DLQ = Topic(
    "loyalty.dlq", ("DeadLetter",), _all("earn", "tier", "redeem", "projector"), _all("cli"),
    shared=SHARED_WRITERS, key="source",
)  # fmt: skip
"""Read by `pointstream dlq` and `replay-dlq`, which puts a fixed record back on the topic it came from."""
EARN_STATE = Topic("earn.customer-state", (), _all("earn"), tables=("earn",), compacted=True)
"""Changelog of the earn service's per-customer state, written in the same transaction as its output."""
TIER_STATE = Topic("tier.customer-state", (), _all("tier"), tables=("tier",), compacted=True)
"""Changelog of the tier service's per-customer state."""
REDEEM_STATE = Topic("redeem.customer-state", (), _all("redeem"), tables=("redeem",), compacted=True)
"""Changelog of the redeem service's per-customer balances."""
EXPIRY_TICKS = Topic("redeem.expiry-ticks", ("ExpiryTick",), _all("redeem"), _all("redeem"), key="partition")
"""The time that expires lots: the redeem service's own clock, published to every partition (co-partitioned
with the customer topics, so a partition's tick reaches the instance holding its customers)."""

ALL = (
    ORDERS, TASKS, CUSTOMERS, REDEMPTION_REQUESTS, LEDGER, REDEMPTION_OUTCOMES, TRIGGERS, TIERS, PROGRAMS, REWARDS,
    DLQ, EARN_STATE, TIER_STATE, REDEEM_STATE, EXPIRY_TICKS,
)  # fmt: skip


def inputs_of(service: str) -> tuple[Topic, ...]:
    """What `service` consumes in its consumer group, in registry order."""
    return tuple(t for t in ALL if t.consumed_by(service))


def written_by(service: str) -> tuple[Topic, ...]:
    return tuple(t for t in ALL if t.writes(service))


def check_writes(service: str, topic_name: str) -> None:
    """Raises `UndeclaredWrite` unless `service` is declared to write the topic named `topic_name`."""
    if not any(t.name == topic_name for t in written_by(service)):
        raise UndeclaredWrite(f"{service} is not declared to write {topic_name} (services/common/topics.py)")


def customer_key(shop_id: str, customer_id: str) -> bytes:
    return f"{shop_id}:{customer_id}".encode()


def program_key(shop_id: str, version: int) -> bytes:
    return f"{shop_id}:{version}".encode()


def reward_key(shop_id: str, reward_id: str) -> bytes:
    return f"{shop_id}:{reward_id}".encode()


def _cell(uses: tuple[Use, ...], also: tuple[str, ...] = (), outside: str = "") -> str:
    named = [u.service + (f" ({', '.join(u.records)})" if u.records else "") for u in uses] + list(also)
    return "; ".join(named + ([outside] if outside else [])) or "-"


def table() -> str:
    """README's topic table, in Markdown."""
    rows = ["| topic | key | writers | readers |", "|---|---|---|---|"]
    for t in ALL:
        writers = _cell(t.writers, outside=t.outside_writers) + (" [shared: 0003]" if t.shared else "")
        also = tuple(f"{s} (context)" for s in t.context) + tuple(f"{s} (table)" for s in t.tables)
        readers = _cell(t.readers, also, t.outside_readers)
        rows.append(f"| `{t.base}` | {t.key} | {writers} | {readers} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
