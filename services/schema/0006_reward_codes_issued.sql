-- Coupon codes from a pool are handed out in the order rewards are granted, shop-wide: each grant
-- takes the next number of its reward, kept with the reservation so a retried decision reuses it.
ALTER TABLE reward_stock ADD COLUMN issued bigint NOT NULL DEFAULT 0;
ALTER TABLE reward_reservations ADD COLUMN code_index bigint;
