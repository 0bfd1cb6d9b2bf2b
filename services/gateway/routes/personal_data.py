"""A customer's personal data (admin): what the engine holds of it, and its erasure on request.

Personal data never goes into the Kafka log, which is kept for ever: a shipping address given with
a redemption is stored in PostgreSQL beside the redemption (README: Personal data). `GET` answers
a subject access request with everything held; `DELETE` erases it at once and records who erased
it and when. Points, ledger entries and redemptions are kept: they are the shop's accounts, keyed by
the shop's own customer id, and no person can be read from them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from services.gateway.auth import AdminDep
from services.gateway.deps import PoolDep
from services.gateway.responses import errors
from services.readmodels.postgres import personal_data

router = APIRouter(prefix="/v1/customers", tags=["personal data"], responses=errors(401, 403))
CustomerId = Annotated[str, Path(min_length=1, max_length=256)]


class ShippingAddressHeld(BaseModel):
    redemption_id: str
    address: dict[str, str | None]
    requested_at: datetime


class ErasureOut(BaseModel):
    erased_at: datetime
    actor: str
    shipping_addresses: int = Field(description="how many addresses this erasure deleted")


class PersonalDataOut(BaseModel):
    customer_id: str
    shipping_addresses: list[ShippingAddressHeld]
    erasures: list[ErasureOut] = Field(description="earlier erasures of this customer's personal data")


@router.get("/{customer_id}/personal-data")
async def held(customer_id: CustomerId, admin: AdminDep, pool: PoolDep) -> PersonalDataOut:
    """Everything personal the engine holds of this customer (a subject access request)."""
    addresses = await personal_data.addresses(pool, admin.shop, customer_id)
    done = await personal_data.erasures(pool, admin.shop, customer_id)
    return PersonalDataOut(
        customer_id=customer_id,
        shipping_addresses=[ShippingAddressHeld(**vars(a)) for a in addresses],
        erasures=[ErasureOut(erased_at=e.erased_at, actor=e.actor, shipping_addresses=e.addresses) for e in done],
    )


@router.delete("/{customer_id}/personal-data")
async def erase(customer_id: CustomerId, admin: AdminDep, pool: PoolDep) -> ErasureOut:
    """Erases this customer's shipping addresses now; a rebuild never brings them back."""
    async with pool.acquire() as conn:
        erasure = await personal_data.erase(conn, admin.shop, customer_id, admin.actor, datetime.now(UTC))
    return ErasureOut(erased_at=erasure.erased_at, actor=erasure.actor, shipping_addresses=erasure.addresses)
