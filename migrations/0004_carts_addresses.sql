-- Carts (one per user, or a guest's behind an unguessable cookie) and the
-- address book.

CREATE TABLE carts (
    id         uuid PRIMARY KEY,
    user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the guest's `cart_token` cookie; the token itself is never stored.
    token_hash bytea CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT carts_user_id_key UNIQUE (user_id),
    CONSTRAINT carts_token_hash_key UNIQUE (token_hash),
    CONSTRAINT carts_one_owner CHECK ((user_id IS NULL) <> (token_hash IS NULL))
);
CREATE INDEX carts_guest_idle ON carts (updated_at) WHERE user_id IS NULL;

CREATE TABLE cart_items (
    cart_id    uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id uuid NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, product_id)
);

CREATE TABLE addresses (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                text NOT NULL,
    phone               text NOT NULL,
    street1             text NOT NULL,
    street2             text,
    city                text NOT NULL,
    state               text,
    postal_code         text NOT NULL,
    country             text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    is_default_shipping boolean NOT NULL DEFAULT false,
    is_default_billing  boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_by_user ON addresses (user_id, created_at);
-- At most one default of each kind per user, whatever the code does.
CREATE UNIQUE INDEX addresses_one_default_shipping ON addresses (user_id) WHERE is_default_shipping;
CREATE UNIQUE INDEX addresses_one_default_billing ON addresses (user_id) WHERE is_default_billing;
CREATE TRIGGER addresses_set_updated_at BEFORE UPDATE ON addresses
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
