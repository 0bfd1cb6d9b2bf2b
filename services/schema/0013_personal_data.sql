-- Personal data kept out of the Kafka log, which is retained for ever: the shipping address of a
-- redemption, stored here by the gateway (and by the projector for a request a shop put on Kafka
-- itself), readable by the shop and erased on request. `personal_data_erasures` remembers each
-- erasure, so a rebuild does not bring back an address a shop had sent on Kafka before it.
CREATE TABLE shipping_addresses (
    shop_id       text        NOT NULL,
    customer_id   text        NOT NULL,
    redemption_id text        NOT NULL,
    address       jsonb       NOT NULL,
    requested_at  timestamptz NOT NULL,
    PRIMARY KEY (shop_id, customer_id, redemption_id)
);

CREATE TABLE personal_data_erasures (
    shop_id     text        NOT NULL,
    customer_id text        NOT NULL,
    erased_at   timestamptz NOT NULL,
    actor       text        NOT NULL,
    addresses   int         NOT NULL,
    PRIMARY KEY (shop_id, customer_id, erased_at)
);
