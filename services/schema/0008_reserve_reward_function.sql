-- A reward reservation in one round trip (the redeem service decides in its stream step, so each
-- statement's latency counts): the logic of services/redeem/stock.py, server side. The block runs
-- as a subtransaction: if a twin decision of the same redemption id committed first, the stock
-- update is undone and the twin's answer returned.
CREATE FUNCTION reserve_reward(p_shop text, p_reward text, p_redemption text, p_quantity int, p_stock bigint)
RETURNS TABLE (granted boolean, code_index bigint) LANGUAGE plpgsql AS $$
DECLARE
    v_issued bigint;
BEGIN
    RETURN QUERY SELECT r.granted, r.code_index FROM reward_reservations r
        WHERE r.shop_id = p_shop AND r.redemption_id = p_redemption;
    IF FOUND THEN
        RETURN;
    END IF;
    BEGIN
        INSERT INTO reward_stock (shop_id, reward_id) VALUES (p_shop, p_reward) ON CONFLICT DO NOTHING;
        UPDATE reward_stock s SET reserved = s.reserved + p_quantity, issued = s.issued + 1
            WHERE s.shop_id = p_shop AND s.reward_id = p_reward
              AND (p_stock IS NULL OR s.reserved + p_quantity <= p_stock)
            RETURNING s.issued INTO v_issued;
        INSERT INTO reward_reservations (shop_id, redemption_id, reward_id, quantity, granted, code_index)
            VALUES (p_shop, p_redemption, p_reward, p_quantity, v_issued IS NOT NULL, v_issued - 1);
    EXCEPTION WHEN unique_violation THEN
        RETURN QUERY SELECT r.granted, r.code_index FROM reward_reservations r
            WHERE r.shop_id = p_shop AND r.redemption_id = p_redemption;
        RETURN;
    END;
    RETURN QUERY SELECT v_issued IS NOT NULL, v_issued - 1;
END $$;
