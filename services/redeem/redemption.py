"""Redemptions: decide, approve, reject, cancel (README: Balances, rewards and redemption). Pure.

Deciding is in two steps because stock lives in PostgreSQL: `decide_redemption` checks everything
the account and the catalog can tell, in this order, the first failure winning: `unknown_reward`,
`invalid_quantity`, `frozen`, `not_eligible`, `limit_reached`, `invalid_cash`,
`insufficient_points`. If it answers `Approvable`, the adapter reserves stock, then calls
`approve` (or `reject(request, "out_of_stock")`). Coupons and lottery draws are one per
redemption: a quantity above 1 is `invalid_quantity`.

A coupon with a code pool hands out the code at `code_index`, the number of codes of that reward
issued before (a shop-wide count the stock reservation returns: a customer's state cannot know
it); a pool used up rejects with `out_of_stock`. Cancelling puts each lot share back into its lot
unless the lot has expired by the cancellation's time; those shares are reported, not restored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.redeem import pricing
from services.redeem.account import Account
from services.redeem.catalog import Reward
from services.redeem.events import (
    AccountCommandRejected,
    ContractViolation,
    Event,
    PointsRedeemed,
    PointsRestored,
    RedemptionApproved,
    RedemptionCancelled,
    RedemptionRejected,
    RedemptionRequested,
    RedemptionReversed,
    entry_id,
)
from services.redeem.lots import LotShare, spend

ONE_PER_REDEMPTION = ("coupon", "lottery")


@dataclass(frozen=True)
class Refused:
    """The redemption is refused for `reason`; `reject` makes the `RedemptionRejected` the log carries."""

    reason: str


@dataclass(frozen=True)
class Approvable:
    redemption_id: str
    reward_id: str
    quantity: int
    price_points: int
    cash_minor: int | None


@dataclass(frozen=True)
class Duplicate:
    """The request was handled already: nothing to do."""


Decision = Refused | Approvable | Duplicate


def decide_redemption(
    request: RedemptionRequested, account: Account, reward: Reward | None, tier: str, now: datetime
) -> Decision:
    if account.handled(request.event_id, request.occurred_at):
        return Duplicate()
    if request.redemption_id in account.redemptions or request.redemption_id in account.rejected_redemptions:
        raise ContractViolation(f"redemption {request.redemption_id} was already decided under another event_id")
    at, quantity = account.at(now), request.quantity
    if reward is None or not reward.active:
        return Refused("unknown_reward")
    if quantity < 1 or (quantity > 1 and reward.kind in ONE_PER_REDEMPTION):
        return Refused("invalid_quantity")
    if account.frozen:
        return Refused("frozen")
    if reward.tiers is not None and tier not in reward.tiers:
        return Refused("not_eligible")
    limit = reward.per_customer_limit
    if limit is not None and account.approved_units.get(reward.reward_id, 0) + quantity > limit:
        return Refused("limit_reached")
    share = pricing.points_share(reward, quantity, request.cash_minor)
    if share is None:
        return Refused("invalid_cash")
    points = pricing.price(reward, quantity, tier, at, share)
    if account.available(at) < points:
        return Refused("insufficient_points")
    return Approvable(request.redemption_id, reward.reward_id, quantity, points, request.cash_minor)


def reject(request: RedemptionRequested, reason: str) -> list[Event]:
    rejected = RedemptionRejected(
        redemption_id=request.redemption_id,
        shop_id=request.shop_id,
        customer_id=request.customer_id,
        occurred_at=request.occurred_at,
        reward_id=request.reward_id,
        reason=reason,
        source_event_id=request.event_id,
    )
    return [rejected]


def approve(
    approvable: Approvable,
    account: Account,
    reward: Reward,
    request: RedemptionRequested,
    now: datetime,
    shop_secret: str | bytes,
    code_index: int = 0,
) -> list[Event]:
    """The debit and the approval of an `Approvable` request whose stock is reserved."""
    code = prize = shipping = None
    if reward.kind == "coupon" and reward.codes is not None:
        if not 0 <= code_index < len(reward.codes):
            return reject(request, "out_of_stock")
        code = reward.codes[code_index]
    elif reward.kind == "coupon":
        code = pricing.coupon_code(shop_secret, request.shop_id, request.customer_id, request.redemption_id)
    elif reward.kind == "physical":
        shipping = pricing.shipping_id(request.shop_id, request.redemption_id)
    elif reward.kind == "lottery":
        prize = pricing.draw(reward.prizes, shop_secret, request.shop_id, request.customer_id, request.redemption_id)
    points = approvable.price_points
    shares = spend(account.lots, points, account.at(now))
    if sum(s.points for s in shares) != points:
        raise ValueError(f"{approvable} is not approvable on this account: decide_redemption first")
    entry = entry_id(request.shop_id, request.event_id, "redeemed")
    events: list[Event] = []
    if points > 0:
        events.append(
            PointsRedeemed(
                entry_id=entry,
                shop_id=request.shop_id,
                customer_id=request.customer_id,
                occurred_at=request.occurred_at,
                source_event_id=request.event_id,
                reason=f"redemption {request.redemption_id} of {reward.name}",
                points=points,
                redemption_id=request.redemption_id,
                reward_id=reward.reward_id,
                lots=shares,
            )
        )
    approved = RedemptionApproved(
        redemption_id=request.redemption_id,
        shop_id=request.shop_id,
        customer_id=request.customer_id,
        occurred_at=request.occurred_at,
        reward_id=reward.reward_id,
        quantity=approvable.quantity,
        points=points,
        source_event_id=request.event_id,
        cash_minor=approvable.cash_minor,
        code=code,
        prize=prize,
        shipping_id=shipping,
        entry_id=entry if points > 0 else None,
    )
    return [*events, approved]


def decide_cancellation(cancel: RedemptionCancelled, account: Account) -> list[Event]:
    if account.handled(cancel.event_id, cancel.occurred_at):
        return []
    record = account.redemptions.get(cancel.redemption_id)
    if record is None or record.cancelled:
        refused = AccountCommandRejected(
            command_id=cancel.redemption_id,
            kind="cancellation",
            shop_id=cancel.shop_id,
            customer_id=cancel.customer_id,
            occurred_at=cancel.occurred_at,
            reason="unknown_redemption" if record is None else "already_cancelled",
            source_event_id=cancel.event_id,
        )
        return [refused]
    at = account.at(cancel.occurred_at)
    back: list[LotShare] = []
    lost: list[LotShare] = []
    for share in record.lots:
        lot = account.lots.get(share.lot_id)
        (back if lot is not None and lot.alive(at) else lost).append(share)
    restored = sum(s.points for s in back)
    events: list[Event] = []
    if restored:
        events.append(
            PointsRestored(
                entry_id=entry_id(cancel.shop_id, cancel.event_id, "restored"),
                shop_id=cancel.shop_id,
                customer_id=cancel.customer_id,
                occurred_at=cancel.occurred_at,
                source_event_id=cancel.event_id,
                reason=cancel.reason,
                points=restored,
                redemption_id=cancel.redemption_id,
                lots=tuple(back),
            )
        )
    reversed_ = RedemptionReversed(
        redemption_id=cancel.redemption_id,
        shop_id=cancel.shop_id,
        customer_id=cancel.customer_id,
        occurred_at=cancel.occurred_at,
        points_restored=restored,
        reason=cancel.reason,
        source_event_id=cancel.event_id,
        not_restored=tuple(lost),
    )
    return [*events, reversed_]
