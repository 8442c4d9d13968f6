-- Accounts, sessions with rotating refresh tokens, and failed-login tracking.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- Stored trimmed and lower-cased, so uniqueness is case-insensitive.
    email         text NOT NULL CHECK (email = lower(email) AND char_length(email) <= 254),
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_admins ON users (id) WHERE role = 'admin';
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per login: a family of refresh tokens, each replacing the last.
CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent     text CHECK (char_length(user_agent) <= 512),
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX sessions_live_by_user ON sessions (user_id, created_at) WHERE revoked_at IS NULL;

-- Only SHA-256 hashes of refresh tokens are kept. A token whose `used_at`
-- is set has been rotated; presenting it again revokes its session.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- Failed logins per (normalised) email, shared by every API instance.
-- Kept for unknown emails too, so lockouts reveal nothing about accounts.
CREATE TABLE login_failures (
    email             text PRIMARY KEY,
    failures          integer NOT NULL CHECK (failures > 0),
    window_started_at timestamptz NOT NULL,
    locked_until      timestamptz
);
