-- API keys for server-to-server callers (an ERP, a warehouse system). A
-- key is shown once; only its SHA-256 is kept. It acts for the admin who
-- made it, within its scopes, until it expires or is revoked, and never
-- beyond that admin's own standing.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    -- `gk_` and the key's next 8 characters, to tell keys apart in lists.
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL,
    created_by   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
