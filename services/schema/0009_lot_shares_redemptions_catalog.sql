-- The redeem service names the lot shares of every debit and collects earn's clawback claims
-- (decision 0002): the ledger read model applies those shares and no longer chooses lots itself.
-- Rows projected before this migration took clawbacks from lots of the read model's own choosing,
-- so the ledger read model is rebuilt: it is a fold of loyalty.ledger, and its positions go back
-- to the start of the ledger.
ALTER TABLE ledger_entries ADD COLUMN claimed bigint NOT NULL DEFAULT 0;  -- what a clawback claim asked back

-- balance = lifetime_earned + adjusted + transferred_in - transferred_out - redeemed - expired - clawed_back
--         = sum(lots.remaining) - owed
ALTER TABLE balances
    ADD COLUMN adjusted        bigint NOT NULL DEFAULT 0,
    ADD COLUMN transferred_in  bigint NOT NULL DEFAULT 0,
    ADD COLUMN transferred_out bigint NOT NULL DEFAULT 0;

TRUNCATE ledger_entries, lots, balances;
DELETE FROM projection_positions WHERE topic LIKE '%loyalty.ledger';

-- Redemptions: requested (loyalty.redemption-requests, or POST /v1/redemptions), then the redeem
-- service's outcome (loyalty.redemption-outcomes).
CREATE TABLE redemptions (
    shop_id         text        NOT NULL,
    redemption_id   text        NOT NULL,
    customer_id     text        NOT NULL,
    reward_id       text        NOT NULL,
    quantity        integer,
    cash_minor      bigint,
    status          text        NOT NULL,
    reason          text,
    code            text,
    prize           text,
    shipping_id     text,
    points          bigint      NOT NULL DEFAULT 0,
    points_restored bigint      NOT NULL DEFAULT 0,
    requested_at    timestamptz,
    updated_at      timestamptz,
    position        text,
    PRIMARY KEY (shop_id, redemption_id)
);
CREATE INDEX redemptions_by_customer ON redemptions (shop_id, customer_id);

-- Account commands the redeem service refused (AccountCommandRejected).
CREATE TABLE account_commands (
    shop_id     text        NOT NULL,
    kind        text        NOT NULL,
    command_id  text        NOT NULL,
    customer_id text        NOT NULL,
    status      text        NOT NULL,
    reason      text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (shop_id, kind, command_id)
);

-- The catalog: the latest version of every reward (loyalty.rewards, compacted by {shop}:{reward_id}).
CREATE TABLE rewards (
    shop_id       text        NOT NULL,
    reward_id     text        NOT NULL,
    version       integer     NOT NULL,
    configured_at timestamptz NOT NULL,
    actor         text        NOT NULL,
    reward        jsonb       NOT NULL,
    PRIMARY KEY (shop_id, reward_id)
);
