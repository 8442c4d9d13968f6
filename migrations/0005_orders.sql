-- Orders with their items and history, the outbox for work that must follow
-- a commit, and idempotency keys for checkout.

CREATE TABLE orders (
    id                      uuid PRIMARY KEY,
    -- Public and random (not sequential, not guessable), e.g. GK-7Q4M-X2PD-9RTA.
    order_number            text NOT NULL,
    -- NULL once the customer deleted their account: the order stays for the books.
    user_id                 uuid REFERENCES users (id) ON DELETE SET NULL,
    status                  text NOT NULL CHECK (status IN ('pending_payment', 'confirmed',
                                'processing', 'shipped', 'out_for_delivery', 'delivered', 'cancelled')),
    payment_status          text NOT NULL CHECK (payment_status IN ('pending', 'paid', 'failed', 'refunded')),
    payment_method          text NOT NULL CHECK (payment_method IN ('manual', 'stripe')),
    payment_reference       text,
    shipping_address        jsonb NOT NULL,
    billing_address         jsonb NOT NULL,
    currency                text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    subtotal_amount         bigint NOT NULL CHECK (subtotal_amount >= 0),
    tax_amount              bigint NOT NULL CHECK (tax_amount >= 0),
    shipping_amount         bigint NOT NULL CHECK (shipping_amount >= 0),
    discount_amount         bigint NOT NULL CHECK (discount_amount >= 0),
    total_amount            bigint NOT NULL CHECK (total_amount >= 0),
    tracking_number         text,
    estimated_delivery_date date,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_order_number_key UNIQUE (order_number)
);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_by_created ON orders (created_at DESC, id DESC);
CREATE INDEX orders_pending ON orders (created_at) WHERE status = 'pending_payment';
CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- What was bought, as it was when bought.
CREATE TABLE order_items (
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id        uuid NOT NULL REFERENCES products (id),
    name              text NOT NULL,
    sku               text NOT NULL,
    image             text,
    unit_price_amount bigint NOT NULL CHECK (unit_price_amount >= 0),
    quantity          integer NOT NULL CHECK (quantity > 0),
    line_total_amount bigint NOT NULL CHECK (line_total_amount >= 0),
    PRIMARY KEY (order_id, product_id)
);

-- The timeline: every status an order reached, who moved it, and why.
CREATE TABLE order_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status     text NOT NULL,
    actor      text NOT NULL,
    note       text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_by_order ON order_events (order_id, id);

-- Work that must happen after a commit, written in the same transaction as
-- the change that causes it; a relay delivers it at least once.
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    available_at timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    sent_at      timestamptz
);
CREATE INDEX outbox_due ON outbox (available_at) WHERE sent_at IS NULL;

-- Checkout requests by (user, Idempotency-Key): a replay gets the first answer.
CREATE TABLE idempotency_keys (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key             text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash    bytea NOT NULL,
    response_status integer,
    response_body   jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- Stripe events already handled: a redelivered event changes nothing.
CREATE TABLE stripe_events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_payment_reference ON orders (payment_reference) WHERE payment_reference IS NOT NULL;
