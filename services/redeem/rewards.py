"""The reward catalog every redeem instance keeps: the latest version of each reward, from the
compacted loyalty.rewards topic, parsed once per version."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from services.common import topics
from services.common.codec import Decoded
from services.common.globaltable import GlobalTable
from services.redeem.catalog import InvalidReward, Reward, reward_from

log = logging.getLogger(__name__)


@dataclass
class RewardBook:
    _documents: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _parsed: dict[tuple[str, str, int], Reward | None] = field(default_factory=dict)

    def add(self, shop_id: str, reward_id: str, version: int, document: dict[str, Any]) -> None:
        known = self._documents.get((shop_id, reward_id))
        if known is None or known[0] <= version:
            self._documents[(shop_id, reward_id)] = (version, document)

    def get(self, shop_id: str, reward_id: str) -> Reward | None:
        """The reward as configured now; None if unknown (or unreadable: logged once)."""
        found = self._documents.get((shop_id, reward_id))
        if found is None:
            return None
        version, document = found
        key = (shop_id, reward_id, version)
        if key not in self._parsed:
            try:
                self._parsed[key] = reward_from(document, shop_id, reward_id)
            except InvalidReward as exc:
                log.error("reward %s of shop %s, version %d, is invalid: %s", reward_id, shop_id, version, exc)
                self._parsed[key] = None
        return self._parsed[key]


class RewardTable(GlobalTable):
    def __init__(self) -> None:
        self.book = RewardBook()
        super().__init__(topics.REWARDS, self._add)

    def _add(self, decoded: Decoded) -> None:
        r = decoded.record
        self.book.add(r["shop_id"], r["reward_id"], r["version"], json.loads(r["reward"]))
