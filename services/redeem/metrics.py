"""What the redeem service counts of the events it decides: redemptions by outcome, points by movement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter

from services.redeem.events import (
    ClawbackCollected,
    PointsExpired,
    PointsRedeemed,
    RedemptionApproved,
    RedemptionRejected,
)

REDEMPTIONS = Counter("pointstream_redemptions_total", "Redemption decisions", ["shop", "outcome", "reason"])
POINTS = Counter("pointstream_redeem_points_total", "Points moved by the redeem service", ["shop", "movement"])
LEGACY_TICKS = Counter(
    "pointstream_redeem_legacy_ticks_skipped_total", "ExpiryTicks of earlier versions on loyalty.redemption-requests"
)
MOVEMENTS = {
    PointsRedeemed: "redeemed",
    PointsExpired: "expired",
    ClawbackCollected: "clawed_back",
}


def observe(events: Iterable[Any]) -> None:
    for event in events:
        if isinstance(event, RedemptionApproved):
            REDEMPTIONS.labels(event.shop_id, "approved", "").inc()
        elif isinstance(event, RedemptionRejected):
            REDEMPTIONS.labels(event.shop_id, "rejected", event.reason).inc()
        elif (movement := MOVEMENTS.get(type(event))) is not None:
            POINTS.labels(event.shop_id, movement).inc(event.points)
