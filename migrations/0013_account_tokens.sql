-- Single-use links sent to account holders: password resets (and address
-- verification). Only a hash of each token is stored; the token itself is
-- derived from the row id with a server key when the email is sent, so it
-- never rests in the database, the outbox included.

CREATE TABLE account_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('password_reset', 'verify_email')),
    token_hash  bytea NOT NULL UNIQUE,
    -- The address the link goes to.
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    -- Set when the link is used, or when a newer link replaces it.
    used_at     timestamptz
);
CREATE INDEX account_tokens_live ON account_tokens (user_id, purpose) WHERE used_at IS NULL;
