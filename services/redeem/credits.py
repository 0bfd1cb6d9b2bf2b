"""Earn's credits and clawback claims on the balance, and expiry (README). Pure.

A credit opens its lot (repaying what the customer owes first). A clawback claim is collected
from the order's own lot first, then the other lots alive at the claim's time, available before
pending, nearest expiry first; what the lots cannot cover is uncollected, or owed when the shop
lets the balance go negative. Expiry is idempotent by state: a lot's remaining points expire once,
at the lot's own date, whenever the tick that notices it comes.
"""

from __future__ import annotations

from datetime import datetime

from services.records import PointsClawedBack, PointsEarned
from services.redeem.account import Account
from services.redeem.events import ClawbackCollected, ContractViolation, Event, OwedRepaid, PointsExpired, entry_id
from services.redeem.lots import LotShare, collect


def decide_credit(earned: PointsEarned, account: Account) -> list[Event]:
    """The credit itself, to fold (it is earn's entry: the redeem service does not write it again)."""
    if earned.entry_id in account.entries:
        return []
    if earned.points < 0:
        raise ContractViolation(f"points is negative ({earned.points})")
    if earned.points > 0 and (lot := account.lots.get(earned.lot_id)) is not None:
        if (lot.points, lot.available_at, lot.expires_at) == (earned.points, earned.available_at, earned.expires_at):
            return []  # the same credit again, its entry id forgotten since (retention.py)
        raise ContractViolation(f"lot {earned.lot_id} was already opened by another entry")
    repaid = min(earned.points, account.owed)
    if not repaid:
        return [earned]
    return [
        earned,
        OwedRepaid(
            entry_id(earned.shop_id, earned.entry_id, "owed_repaid"),
            earned.shop_id,
            earned.customer_id,
            earned.occurred_at,
            earned.source_event_id,
            f"repays {repaid} points owed",
            repaid,
            (LotShare(earned.lot_id, repaid),),
        ),
    ]


def decide_clawback(claim: PointsClawedBack, account: Account) -> list[Event]:
    if claim.entry_id in account.entries:
        return []
    if claim.points < 0:
        raise ContractViolation(f"points is negative ({claim.points})")
    shares = collect(account.lots, claim.lot_id, claim.points, account.at(claim.occurred_at))
    collected = sum(s.points for s in shares)
    beyond = claim.points - collected
    owed = beyond if claim.may_go_negative else 0
    collection = ClawbackCollected(
        entry_id=entry_id(claim.shop_id, claim.entry_id, "collected"),
        shop_id=claim.shop_id,
        customer_id=claim.customer_id,
        occurred_at=claim.occurred_at,
        source_event_id=claim.source_event_id,
        reason=claim.reason or f"clawback of order {claim.order_id}",
        claim_entry_id=claim.entry_id,
        points=collected,
        lots=shares,
        uncollected=beyond - owed,
        owed=owed,
    )
    return [collection]


def decide_expiry(account: Account, now: datetime) -> list[PointsExpired]:
    """What is left of every lot whose date has come by `now`."""
    at = account.at(now)
    due = sorted(
        (lot for lot in account.lots.values() if lot.remaining > 0 and lot.expires_at <= at),
        key=lambda lot: (lot.expires_at, lot.lot_id),
    )
    return [
        PointsExpired(
            entry_id=entry_id(account.shop_id, lot.lot_id, "expired"),
            shop_id=account.shop_id,
            customer_id=account.customer_id,
            occurred_at=lot.expires_at,
            source_event_id=lot.lot_id,
            reason=f"lot {lot.lot_id} expired",
            points=lot.remaining,
            lot_id=lot.lot_id,
        )
        for lot in due
    ]
