-- A reward reservation belongs to the customer whose redemption made it (services/redeem/stock.py).
-- Until now a reservation was found by (shop, redemption id) alone, so another customer's request
-- reusing the id got the first one's answer and, with it, the first one's coupon. Now a redemption
-- id is its first customer's: the function finds a reservation by (shop, customer, redemption id),
-- and another customer's request for an id already reserved is told so (`taken`, rejected as
-- `redemption_id_taken`), never given the first one's answer.
--
-- A reservation granted and then not used (a retry that decided otherwise after an aborted Kafka
-- transaction, a request dead-lettered after its reservation, a deactivated reward) is released;
-- the redeem service's reconciliation finds such reservations by their partition and the time a
-- decision last relied on them (`touched_at`), and marks `settled` those an approval confirmed. A
-- released grant asked for again (the request decided anew) takes its units again, if any are left.
ALTER TABLE reward_reservations
    ADD COLUMN customer_id text,
    ADD COLUMN customer_partition int,
    ADD COLUMN touched_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN settled boolean NOT NULL DEFAULT false;

-- Reservations made before: their customer is the one the read model knows for the redemption id;
-- one it does not know is claimed by the first customer who asks for it again.
UPDATE reward_reservations r SET customer_id = d.customer_id
    FROM redemptions d WHERE d.shop_id = r.shop_id AND d.redemption_id = r.redemption_id;
UPDATE reward_reservations r SET settled = true
    FROM redemptions d
    WHERE d.shop_id = r.shop_id AND d.redemption_id = r.redemption_id AND d.status IN ('approved', 'reversed');

CREATE INDEX reward_reservations_unsettled ON reward_reservations (customer_partition, touched_at)
    WHERE granted AND NOT released AND NOT settled;

-- One round trip, as before; the block runs as a subtransaction, so a twin decision of the same
-- redemption that committed first has its answer returned and this one's stock update undone. The
-- function of migration 0008 (five arguments) stays for redeem processes of the earlier version
-- while a rolling upgrade replaces them; their reservations have no customer until asked again.
CREATE FUNCTION reserve_reward(
    p_shop text, p_customer text, p_partition int, p_reward text, p_redemption text, p_quantity int, p_stock bigint
) RETURNS TABLE (granted boolean, code_index bigint, taken boolean) LANGUAGE plpgsql AS $$
DECLARE
    v_found reward_reservations%ROWTYPE;
    v_issued bigint;
    v_retaken int;
BEGIN
    SELECT * INTO v_found FROM reward_reservations r
        WHERE r.shop_id = p_shop AND r.redemption_id = p_redemption FOR UPDATE;
    IF FOUND THEN
        IF v_found.customer_id IS DISTINCT FROM p_customer AND v_found.customer_id IS NOT NULL THEN
            RETURN QUERY SELECT false, NULL::bigint, true;
            RETURN;
        END IF;
        IF v_found.granted AND v_found.released THEN  -- given back, and decided anew: take the units again
            UPDATE reward_stock s SET reserved = s.reserved + p_quantity
                WHERE s.shop_id = p_shop AND s.reward_id = v_found.reward_id
                  AND (p_stock IS NULL OR s.reserved + p_quantity <= p_stock);
            GET DIAGNOSTICS v_retaken = ROW_COUNT;
            UPDATE reward_reservations r SET granted = v_retaken > 0, released = false, quantity = p_quantity,
                settled = false
                WHERE r.shop_id = p_shop AND r.redemption_id = p_redemption;
        END IF;
        UPDATE reward_reservations r SET customer_id = p_customer, customer_partition = p_partition,
            touched_at = now()
            WHERE r.shop_id = p_shop AND r.redemption_id = p_redemption
            RETURNING r.granted, r.code_index INTO v_found.granted, v_found.code_index;
        RETURN QUERY SELECT v_found.granted, v_found.code_index, false;
        RETURN;
    END IF;
    BEGIN
        INSERT INTO reward_stock (shop_id, reward_id) VALUES (p_shop, p_reward) ON CONFLICT DO NOTHING;
        UPDATE reward_stock s SET reserved = s.reserved + p_quantity, issued = s.issued + 1
            WHERE s.shop_id = p_shop AND s.reward_id = p_reward
              AND (p_stock IS NULL OR s.reserved + p_quantity <= p_stock)
            RETURNING s.issued INTO v_issued;
        INSERT INTO reward_reservations (shop_id, redemption_id, reward_id, quantity, granted, code_index,
                                         customer_id, customer_partition)
            VALUES (p_shop, p_redemption, p_reward, p_quantity, v_issued IS NOT NULL, v_issued - 1,
                    p_customer, p_partition);
    EXCEPTION WHEN unique_violation THEN
        RETURN QUERY SELECT * FROM reserve_reward(p_shop, p_customer, p_partition, p_reward, p_redemption,
                                                  p_quantity, p_stock);
        RETURN;
    END;
    RETURN QUERY SELECT v_issued IS NOT NULL, v_issued - 1, false;
END $$;
