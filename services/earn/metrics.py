"""What the earn service counts of the events it decides: points credited, clawed back, held and capped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge

from services.earn.events import Event
from services.records import PointsClawedBack, PointsEarned

POINTS = Counter("pointstream_earn_points_total", "Points credited and clawed back", ["shop", "movement"])
HELD = Counter("pointstream_earn_held_points_total", "Points held pending by the circuit breaker", ["shop"])
BREAKER_OPEN = Gauge(
    "pointstream_earn_circuit_breaker_open",
    "1 while a shop's hourly points budget is spent (credits are held)",
    ["shop"],
)
CAPPED = Counter("pointstream_earn_capped_points_total", "Points not credited: daily caps and task limits", ["shop"])


@dataclass
class Observed:
    _earned: dict[str, Any] = field(default_factory=dict)
    _breaker_open: dict[str, bool] = field(default_factory=dict)

    def observe(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, PointsEarned):
                self.credit(event)
            elif isinstance(event, PointsClawedBack):
                POINTS.labels(event.shop_id, "clawed_back").inc(event.points)

    def credit(self, event: PointsEarned) -> None:
        shop_id = event.shop_id
        if (earned := self._earned.get(shop_id)) is None:
            earned = self._earned[shop_id] = POINTS.labels(shop_id, "earned")
        earned.inc(event.points)
        if event.capped_points:
            CAPPED.labels(shop_id).inc(event.capped_points)
        held = event.held is not None
        if held:
            HELD.labels(shop_id).inc(event.points)
        if self._breaker_open.get(shop_id) != held:
            BREAKER_OPEN.labels(shop_id).set(held)
            self._breaker_open[shop_id] = held
