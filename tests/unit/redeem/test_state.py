"""An account survives the state store: every field, after every kind of event."""

from __future__ import annotations

from services.redeem.account import Account
from services.redeem.decider import Shop
from services.redeem.state import dump_account, load_account
from tests.unit.redeem.support import (
    ADA,
    BOB,
    DAY,
    SECRET,
    SHOP,
    T0,
    World,
    adjust,
    cancel,
    clawback,
    earned,
    freeze,
    request,
    tick,
    transfer,
)


def test_an_account_with_every_kind_of_history_is_stored_and_read_back_exactly() -> None:
    world = World(shop=Shop(secret=SECRET, thresholds=(100, 500)))
    world.send(
        earned(700, lot="a"), earned(300, lot="b", at=T0 + DAY), clawback(50, lot="a", at=T0 + DAY),
        request(redemption="r-1", at=T0 + 2 * DAY), adjust(-20, at=T0 + 2 * DAY), transfer(30, at=T0 + 3 * DAY),
        cancel("r-1", at=T0 + 4 * DAY), freeze(at=T0 + 5 * DAY), tick(T0 + 400 * DAY),
    )  # fmt: skip
    for customer in (ADA, BOB):
        account = world.account(customer)
        assert account != Account(SHOP, customer)
        assert load_account(dump_account(account), SHOP, customer) == account


def test_a_customer_never_seen_starts_empty() -> None:
    assert load_account(None, SHOP, "new") == Account(SHOP, "new")
