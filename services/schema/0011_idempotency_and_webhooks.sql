-- Idempotency keys of the gateway's writes (services/gateway/idempotency.py): one row per
-- credential (sha256 of the Authorization header) and key. A row without a status is a request
-- still in flight; `claim` names the request that owns it, so a late answer never overwrites a
-- newer claim.
CREATE TABLE idempotency_keys (
    credential      text        NOT NULL,
    idempotency_key text        NOT NULL,
    fingerprint     text        NOT NULL,  -- sha256 of method, path, query and body
    claim           uuid        NOT NULL,
    claimed_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    status          int,
    content_type    text,
    body            bytea,
    PRIMARY KEY (credential, idempotency_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- The customer and currency of each order paid through a Shopify webhook: a refund's webhook
-- carries neither. Both are null for an order without a customer (its refunds are ignored too).
CREATE TABLE shopify_orders (
    shop_id     text        NOT NULL,
    order_id    text        NOT NULL,
    customer_id text,
    currency    text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, order_id)
);
