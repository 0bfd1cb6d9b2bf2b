-- Reward reservations for a whole batch of the redeem step in one round trip (decision 0004). The
-- requests are served in the batch's order, each as reserve_reward (migration 0012) serves one: the
-- same answers, the same idempotency by customer and redemption id, the same row locks. All of them
-- commit together, so the rewards' rows stay locked until the batch's last request is served: they
-- are locked first, in one order for every batch, so that two batches reserving the same rewards in a
-- different order wait for each other instead of deadlocking.
--
-- Unlike reserve_reward, no request opens a subtransaction (an exception block): a batch of hundreds
-- would overflow each backend's cache of 64 subtransactions and slow every other session's snapshots
-- while it runs. A twin decision of the same redemption that inserts its reservation first is waited
-- for by the insert (ON CONFLICT DO NOTHING), and its answer is then found, as reserve_reward finds it.
--
-- `fresh` tells a grant this call made (a new reservation, or a released one taken again) from one
-- found granted already (an earlier attempt of the same decision): only a fresh grant that no
-- decision took is given back at the batch's end; any other is left to the reconciliation.
CREATE FUNCTION reserve_rewards(
    p_shop text[], p_customer text[], p_partition int[], p_reward text[], p_redemption text[], p_quantity int[],
    p_stock bigint[]
) RETURNS TABLE (n int, granted boolean, code_index bigint, taken boolean, fresh boolean) LANGUAGE plpgsql AS $$
DECLARE
    v_found reward_reservations%ROWTYPE;
    v_issued bigint;
    v_retaken int;
BEGIN
    INSERT INTO reward_stock (shop_id, reward_id)
        SELECT DISTINCT k.shop_id, k.reward_id FROM unnest(p_shop, p_reward) AS k(shop_id, reward_id)
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;
    PERFORM 1 FROM reward_stock s
        WHERE (s.shop_id, s.reward_id) IN (SELECT k.shop_id, k.reward_id FROM unnest(p_shop, p_reward) AS k(shop_id, reward_id))
        ORDER BY s.shop_id, s.reward_id
        FOR UPDATE;
    FOR i IN 1 .. coalesce(array_length(p_shop, 1), 0) LOOP
        INSERT INTO reward_reservations (shop_id, redemption_id, reward_id, quantity, granted, customer_id,
                                         customer_partition)
            VALUES (p_shop[i], p_redemption[i], p_reward[i], p_quantity[i], false, p_customer[i], p_partition[i])
            ON CONFLICT (shop_id, redemption_id) DO NOTHING;
        IF FOUND THEN  -- a new reservation: the reward's units, if enough are left, and the next code number
            v_issued := NULL;
            UPDATE reward_stock s SET reserved = s.reserved + p_quantity[i], issued = s.issued + 1
                WHERE s.shop_id = p_shop[i] AND s.reward_id = p_reward[i]
                  AND (p_stock[i] IS NULL OR s.reserved + p_quantity[i] <= p_stock[i])
                RETURNING s.issued INTO v_issued;
            UPDATE reward_reservations r SET granted = v_issued IS NOT NULL, code_index = v_issued - 1
                WHERE r.shop_id = p_shop[i] AND r.redemption_id = p_redemption[i];
            RETURN QUERY SELECT i, v_issued IS NOT NULL, v_issued - 1, false, v_issued IS NOT NULL;
            CONTINUE;
        END IF;
        SELECT * INTO v_found FROM reward_reservations r
            WHERE r.shop_id = p_shop[i] AND r.redemption_id = p_redemption[i] FOR UPDATE;
        IF v_found.customer_id IS DISTINCT FROM p_customer[i] AND v_found.customer_id IS NOT NULL THEN
            RETURN QUERY SELECT i, false, NULL::bigint, true, false;
            CONTINUE;
        END IF;
        v_retaken := 0;
        IF v_found.granted AND v_found.released THEN  -- given back, and decided anew: take the units again
            UPDATE reward_stock s SET reserved = s.reserved + p_quantity[i]
                WHERE s.shop_id = p_shop[i] AND s.reward_id = v_found.reward_id
                  AND (p_stock[i] IS NULL OR s.reserved + p_quantity[i] <= p_stock[i]);
            GET DIAGNOSTICS v_retaken = ROW_COUNT;
            UPDATE reward_reservations r SET granted = v_retaken > 0, released = false, quantity = p_quantity[i],
                settled = false
                WHERE r.shop_id = p_shop[i] AND r.redemption_id = p_redemption[i];
        END IF;
        UPDATE reward_reservations r SET customer_id = p_customer[i], customer_partition = p_partition[i],
            touched_at = now()
            WHERE r.shop_id = p_shop[i] AND r.redemption_id = p_redemption[i]
            RETURNING r.granted, r.code_index INTO v_found.granted, v_found.code_index;
        RETURN QUERY SELECT i, v_found.granted, v_found.code_index, false, v_retaken > 0;
    END LOOP;
END $$;

-- The grants a batch reserved and no decision of it used, given back in one round trip; the rewards'
-- rows locked in the same order as reserve_rewards locks them. A grant is given back once: the count
-- says how many this call gave back.
CREATE FUNCTION release_rewards(p_shop text[], p_customer text[], p_redemption text[])
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    v_released int;
BEGIN
    PERFORM 1 FROM reward_stock s
        WHERE (s.shop_id, s.reward_id) IN (
            SELECT r.shop_id, r.reward_id FROM reward_reservations r
                JOIN unnest(p_shop, p_redemption) AS k(shop_id, redemption_id)
                  ON r.shop_id = k.shop_id AND r.redemption_id = k.redemption_id)
        ORDER BY s.shop_id, s.reward_id
        FOR UPDATE;
    WITH given AS (
        UPDATE reward_reservations r SET released = true
            FROM unnest(p_shop, p_customer, p_redemption) AS k(shop_id, customer_id, redemption_id)
            WHERE r.shop_id = k.shop_id AND r.redemption_id = k.redemption_id
              AND (r.customer_id = k.customer_id OR r.customer_id IS NULL) AND r.granted AND NOT r.released
            RETURNING r.shop_id, r.reward_id, r.quantity
    ), per_reward AS (
        SELECT g.shop_id, g.reward_id, sum(g.quantity) AS quantity, count(*) AS grants FROM given g GROUP BY 1, 2
    ), back AS (
        UPDATE reward_stock s SET reserved = s.reserved - p.quantity
            FROM per_reward p WHERE s.shop_id = p.shop_id AND s.reward_id = p.reward_id
            RETURNING p.grants
    )
    SELECT coalesce(sum(b.grants), 0) INTO v_released FROM back b;
    RETURN v_released;
END $$;
