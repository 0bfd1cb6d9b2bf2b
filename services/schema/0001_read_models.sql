-- Read models of the ledger. Rebuildable: every row is a fold of loyalty.ledger.
CREATE TABLE ledger_entries (
    entry_id         text PRIMARY KEY,
    shop_id          text        NOT NULL,
    customer_id      text        NOT NULL,
    kind             text        NOT NULL,
    points           bigint      NOT NULL,
    balance_after    bigint      NOT NULL,
    reason           text        NOT NULL,
    source_event_id  text        NOT NULL,
    occurred_at      timestamptz NOT NULL,
    lot_id           text,
    ledger_partition integer     NOT NULL,
    ledger_offset    bigint      NOT NULL
);
CREATE INDEX ledger_entries_newest_first ON ledger_entries (shop_id, customer_id, ledger_offset DESC);

CREATE TABLE balances (
    shop_id          text    NOT NULL,
    customer_id      text    NOT NULL,
    balance          bigint  NOT NULL DEFAULT 0,
    lifetime_earned  bigint  NOT NULL DEFAULT 0,
    redeemed         bigint  NOT NULL DEFAULT 0,
    expired          bigint  NOT NULL DEFAULT 0,
    tier             text    NOT NULL DEFAULT 'member',
    frozen           boolean NOT NULL DEFAULT false,
    ledger_partition integer NOT NULL,
    PRIMARY KEY (shop_id, customer_id)
);

CREATE TABLE lots (
    lot_id       text PRIMARY KEY,
    shop_id      text        NOT NULL,
    customer_id  text        NOT NULL,
    points       bigint      NOT NULL,
    remaining    bigint      NOT NULL,
    available_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX lots_by_customer ON lots (shop_id, customer_id, expires_at);

-- Where the projector is in each ledger partition; written in the same transaction as the rows.
CREATE TABLE projection_positions (
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (topic, partition)
);
