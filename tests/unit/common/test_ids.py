"""Derived ids are one recipe, and it never changes: the log already holds ids it made."""

from __future__ import annotations

from services.earn import events as earn
from services.ids import derived_id
from services.redeem import events as redeem

KNOWN = "3c5af87fa580b54e556f74f3bdc1b6f6"
"""`derived_id("shop", "o-1", "earned")` as every release so far made it."""


def test_the_recipe_gives_the_ids_the_log_already_holds() -> None:
    assert derived_id("shop", "o-1", "earned") == KNOWN


def test_earn_and_redeem_derive_their_entry_ids_by_the_one_recipe() -> None:
    assert earn.entry_id("shop", "o-1", "earned") == KNOWN
    assert redeem.entry_id("shop", "o-1", "earned") == KNOWN


def test_the_parts_are_kept_apart() -> None:
    assert derived_id("a", "bc") != derived_id("ab", "c")
