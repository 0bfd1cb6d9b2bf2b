-- An answer holding a secret shown once (a new API key, a customer token) is stored without it:
-- `withheld` says so, and a retry is told the secret is gone instead of getting it again. Answers
-- stored before, secret included, are deleted (they are at most a day old; a retry runs again).
ALTER TABLE idempotency_keys ADD COLUMN withheld boolean NOT NULL DEFAULT false;
DELETE FROM idempotency_keys
WHERE position(convert_to('"key":"psk_', 'UTF8') IN body) > 0
   OR position(convert_to('"token":"', 'UTF8') IN body) > 0;
