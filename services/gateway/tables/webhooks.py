"""The customer and currency of each order paid through a Shopify webhook, for its refunds' webhooks."""

from __future__ import annotations

import asyncpg

REMEMBER = """
INSERT INTO shopify_orders (shop_id, order_id, customer_id, currency) VALUES ($1, $2, $3, $4)
ON CONFLICT (shop_id, order_id) DO UPDATE SET customer_id = excluded.customer_id, currency = excluded.currency"""


async def remember_order(
    pool: asyncpg.Pool, shop_id: str, order_id: str, customer_id: str | None, currency: str | None
) -> None:
    """Also an order without a customer: its refunds are then ignored rather than retried for days."""
    await pool.execute(REMEMBER, shop_id, order_id, customer_id, currency)


async def paid_order(pool: asyncpg.Pool, shop_id: str, order_id: str) -> tuple[str | None, str | None] | None:
    """(customer_id, currency) of an order paid earlier (both None without a customer), or None if unseen."""
    row = await pool.fetchrow(
        "SELECT customer_id, currency FROM shopify_orders WHERE shop_id = $1 AND order_id = $2", shop_id, order_id
    )
    return None if row is None else (row["customer_id"], row["currency"])
