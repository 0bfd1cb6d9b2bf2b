"""The reward catalog as the gateway keeps it (from the compacted `loyalty.rewards`). Pure.

Numbered and read back like every versioned document (`versions`): a reward's new version is the
shop's latest of that reward plus one. The log (key `{shop}:{reward_id}`) keeps the latest version
of each reward, and so does the read model: an older version read later never replaces a newer one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.readmodels.folds.versions import Positioned, next_version

__all__ = ["RewardRecord", "RewardVersion", "latest_of_each", "next_version"]


@dataclass(frozen=True)
class RewardVersion:
    shop_id: str
    reward_id: str
    version: int
    configured_at: datetime
    actor: str
    document: Mapping[str, Any]
    """The reward as configured (README: the catalog)."""


RewardRecord = Positioned[RewardVersion]


def latest_of_each(records: Iterable[RewardRecord]) -> list[RewardVersion]:
    """The highest version of each (shop, reward), the last in log order among equals."""
    latest: dict[tuple[str, str], RewardVersion] = {}
    for record in records:
        v = record.version
        known = latest.get((v.shop_id, v.reward_id))
        if known is None or known.version <= v.version:
            latest[(v.shop_id, v.reward_id)] = v
    return list(latest.values())
