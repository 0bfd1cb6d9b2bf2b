-- Clawbacks on the ledger, tiers from loyalty.tiers, program versions from loyalty.programs.
-- Rows projected before this migration were all credits under the built-in program.
ALTER TABLE ledger_entries
    ADD COLUMN uncollected  bigint  NOT NULL DEFAULT 0,
    ADD COLUMN qualifying   boolean NOT NULL DEFAULT true,
    ADD COLUMN rule_version integer NOT NULL DEFAULT 0;

-- balance = lifetime_earned - redeemed - expired - clawed_back = sum(lots.remaining) - owed
ALTER TABLE balances
    ADD COLUMN clawed_back bigint NOT NULL DEFAULT 0,
    ADD COLUMN owed        bigint NOT NULL DEFAULT 0;

CREATE TABLE tiers (
    shop_id           text        NOT NULL,
    customer_id       text        NOT NULL,
    tier              text        NOT NULL,
    since             timestamptz NOT NULL,
    qualifying_points bigint      NOT NULL,
    from_tier         text        NOT NULL,
    reason            text        NOT NULL,
    PRIMARY KEY (shop_id, customer_id)
);

CREATE TABLE programs (
    shop_id        text        NOT NULL,
    version        integer     NOT NULL,
    effective_from timestamptz NOT NULL,
    configured_at  timestamptz NOT NULL,
    actor          text        NOT NULL,
    rules          jsonb       NOT NULL,
    PRIMARY KEY (shop_id, version)
);
CREATE INDEX programs_in_effect ON programs (shop_id, effective_from DESC, version DESC);
