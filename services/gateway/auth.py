"""What each credential may do: the dependency every route names (README: the HTTP API).

An API key acts for its own shop with its scopes: `events:write` publishes events and asks
redemptions, `read` reads and mints customer tokens (at a bounded rate per key), `admin` administers (program, catalog,
accounts, cancellations, keys). A transfer takes `admin` or `events:write`, as shops sent them
with shop keys before keys had scopes. A customer token reads its own customer's balance, ledger,
tier and redemptions and the catalog, and asks redemptions for its customer; other routes refuse it.
A known credential without what the route needs is a 403 (`credentials` answers the 401s).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Request

from services.gateway.authentication import access, rate_limited
from services.gateway.credentials import Credential, CredentialDep
from services.gateway.errors import ApiError

__all__ = [
    "Admin", "AdminDep", "CatalogReaderDep", "Credential", "CustomerReaderDep", "MinterDep", "ReaderDep", "RedeemerDep",
    "RedemptionReaderDep", "ShopDep", "ShopKey", "ShopKeyDep",
]  # fmt: skip


P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Admin:
    shop: str
    actor: str


@dataclass(frozen=True)
class ShopKey:
    shop: str
    actor: str


def scoped(credential: Credential, *scopes: str) -> Credential:
    """The credential if it is an API key holding one of `scopes`; a 403 otherwise."""
    if credential.customer_id is not None:
        raise ApiError(403, "forbidden", "a customer token cannot do this: it reads its own account and redeems")
    if credential.scopes.isdisjoint(scopes):
        needed = " or ".join(f"`{scope}`" for scope in scopes)
        raise ApiError(403, "forbidden", f"this key lacks the {needed} scope", {"scopes": list(scopes)})
    return credential


def publisher(credential: CredentialDep) -> str:
    return scoped(credential, "events:write").shop


def reader(credential: CredentialDep) -> str:
    return scoped(credential, "read").shop


def minter(request: Request, credential: CredentialDep) -> str:
    """A `read` key, within its share of customer tokens: each token's customer gets a rate limit of its own."""
    shop = reader(credential)
    if (wait := access(request.app.state).mints.wait(credential.who, time.monotonic())) > 0:
        raise rate_limited("too many customer tokens minted with this key", wait)
    return shop


def administrator(credential: CredentialDep) -> Admin:
    key = scoped(credential, "admin")
    return Admin(key.shop, key.actor)


def transfer_sender(credential: CredentialDep) -> ShopKey:
    key = scoped(credential, "admin", "events:write")
    return ShopKey(key.shop, key.actor)


def catalog_reader(credential: CredentialDep) -> str:
    """The catalog is the same for every customer of a shop."""
    return credential.shop if credential.customer_id is not None else reader(credential)


def customer_reader(request: Request, credential: CredentialDep) -> str:
    """A `read` key, or a token of the path's `customer_id`."""
    if credential.customer_id is None:
        return reader(credential)
    if not credential.sees(request.path_params["customer_id"]):
        raise ApiError(403, "forbidden", "a customer token reads its own customer only")
    return credential.shop


def redemption_reader(credential: CredentialDep) -> Credential:
    """A `read` key, or a customer token (which sees its own customer's redemptions only)."""
    return credential if credential.customer_id is not None else scoped(credential, "read")


def redeemer(credential: CredentialDep) -> Credential:
    """An `events:write` key, or a customer token (which redeems for its own customer only)."""
    return credential if credential.customer_id is not None else scoped(credential, "events:write")


def for_customer(credential: Credential, customer_id: str) -> str:
    """The shop, if the credential may act for `customer_id`."""
    if not credential.sees(customer_id):
        raise ApiError(403, "forbidden", "a customer token redeems for its own customer only")
    return credential.shop


def on_the_loop(check: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """The check as a coroutine: FastAPI runs a plain function on a worker thread, a hop per request
    for a comparison of scopes. The signature (what FastAPI resolves) is the check's own."""

    @functools.wraps(check)
    async def checked(*args: P.args, **kwargs: P.kwargs) -> T:
        return check(*args, **kwargs)

    return checked


ShopDep = Annotated[str, Depends(on_the_loop(publisher))]
ReaderDep = Annotated[str, Depends(on_the_loop(reader))]
MinterDep = Annotated[str, Depends(on_the_loop(minter))]
AdminDep = Annotated[Admin, Depends(on_the_loop(administrator))]
ShopKeyDep = Annotated[ShopKey, Depends(on_the_loop(transfer_sender))]
CatalogReaderDep = Annotated[str, Depends(on_the_loop(catalog_reader))]
CustomerReaderDep = Annotated[str, Depends(on_the_loop(customer_reader))]
RedemptionReaderDep = Annotated[Credential, Depends(on_the_loop(redemption_reader))]
RedeemerDep = Annotated[Credential, Depends(on_the_loop(redeemer))]
