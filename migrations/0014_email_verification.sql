-- Whether an account's address is shown to be its holder's: set when a
-- verification link sent to it is used (or a reset link, which proves the
-- same), cleared when the address changes.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
