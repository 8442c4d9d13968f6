-- Guest checkout: an order without an account carries the email it was
-- placed with, and the hash of its access token (the token itself is a
-- keyed hash of the order id, derived again when an email carries it).
ALTER TABLE orders ADD COLUMN guest_email text CHECK (guest_email = lower(guest_email));
ALTER TABLE orders ADD COLUMN access_token_hash bytea;
CREATE UNIQUE INDEX orders_access_token ON orders (access_token_hash)
    WHERE access_token_hash IS NOT NULL;
-- Guest orders waiting to join the account that verifies their address.
CREATE INDEX orders_of_guests ON orders (guest_email) WHERE user_id IS NULL;

-- A guest's checkout keys are scoped by their cart, a customer's by their
-- account: the column names either. Deleting an account deletes its keys
-- (users::repository::delete), as the foreign key did.
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_user_id_fkey;
ALTER TABLE idempotency_keys RENAME COLUMN user_id TO owner_id;
