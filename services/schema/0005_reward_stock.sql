-- Reward stock, written by the redeem service (decision 0002): one row per reward with what is
-- reserved, and one reservation per redemption id, so a retried decision finds its first answer.
CREATE TABLE reward_stock (
    shop_id   text   NOT NULL,
    reward_id text   NOT NULL,
    reserved  bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (shop_id, reward_id)
);

CREATE TABLE reward_reservations (
    shop_id       text        NOT NULL,
    redemption_id text        NOT NULL,
    reward_id     text        NOT NULL,
    quantity      int         NOT NULL CHECK (quantity > 0),
    granted       boolean     NOT NULL,
    released      boolean     NOT NULL DEFAULT false,
    decided_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, redemption_id)
);
CREATE INDEX reward_reservations_by_reward ON reward_reservations (shop_id, reward_id);
