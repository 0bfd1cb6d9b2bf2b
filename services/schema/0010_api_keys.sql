-- API keys per shop, with scopes. Only the SHA-256 of a key is stored, never the key.
CREATE TABLE api_keys (
    key_id     text        PRIMARY KEY,
    shop_id    text        NOT NULL,
    key_sha256 text        NOT NULL UNIQUE,
    scopes     text[]      NOT NULL CHECK (cardinality(scopes) > 0
                                           AND scopes <@ ARRAY['events:write', 'read', 'admin']::text[]),
    label      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_keys_by_shop ON api_keys (shop_id, created_at);
