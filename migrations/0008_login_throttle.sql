-- Password checks are throttled by reserving an attempt before the password
-- is verified, so concurrent guesses cannot pass the limit. One row per key:
--   account:<email>            every source together (a high ceiling)
--   source:<email>:<address>   one client address (IPv6 by /64)
--   device:<token hash>        a browser that signed in to the account before
--   session:<id>               a signed-in session confirming its password
-- `login_failures` is no longer read; it stays until every instance runs
-- this code, and a later migration drops it.
CREATE TABLE login_throttle (
    key               text PRIMARY KEY,
    attempts          integer NOT NULL CHECK (attempts >= 0),
    window_started_at timestamptz NOT NULL
);

-- Browsers that signed in to an account (the `device_token` cookie, stored
-- hashed). Someone else's failed guesses never lock such a browser out.
CREATE TABLE login_devices (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_devices_by_user ON login_devices (user_id, created_at DESC);
