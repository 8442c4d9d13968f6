-- Partial refunds. Each refund is a row: an amount, or some units of some
-- lines (each with its share of the line's tax and discount) and perhaps
-- the shipping, given back through the payment provider (`pending` until it
-- accepts) or by hand (`succeeded` at once). What refunds give back never
-- exceeds what was paid: they are made under the order's row lock.

-- Bought lines get an id of their own, which refunds and returns name.
ALTER TABLE order_items ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE order_items ADD CONSTRAINT order_items_id_key UNIQUE (id);

ALTER TABLE orders DROP CONSTRAINT orders_payment_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_payment_status_check
    CHECK (payment_status IN ('pending', 'paid', 'failed', 'partially_refunded', 'refunded'));

CREATE TABLE refunds (
    id                 uuid PRIMARY KEY,
    order_id           uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount             bigint NOT NULL CHECK (amount > 0),
    -- The part of `amount` that is shipping.
    shipping_amount    bigint NOT NULL DEFAULT 0 CHECK (shipping_amount BETWEEN 0 AND amount),
    reason             text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    method             text NOT NULL CHECK (method IN ('manual', 'stripe')),
    status             text NOT NULL CHECK (status IN ('pending', 'succeeded')),
    -- The provider's id for it (`re_...`), once it accepted.
    provider_reference text,
    -- Who asked for it, as the timeline names them.
    actor              text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    settled_at         timestamptz,
    CHECK ((status = 'succeeded') = (settled_at IS NOT NULL))
);
CREATE INDEX refunds_by_order ON refunds (order_id, created_at);

CREATE TABLE refund_items (
    refund_id       uuid NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    order_item_id   uuid NOT NULL REFERENCES order_items (id) ON DELETE CASCADE,
    quantity        integer NOT NULL CHECK (quantity > 0),
    amount          bigint NOT NULL CHECK (amount >= 0),
    tax_amount      bigint NOT NULL CHECK (tax_amount >= 0),
    discount_amount bigint NOT NULL CHECK (discount_amount >= 0),
    PRIMARY KEY (refund_id, order_item_id)
);
CREATE INDEX refund_items_by_item ON refund_items (order_item_id);

-- The refunds made before: a whole payment given back, or on its way back
-- through the outbox. Each becomes one refund of the whole, whose id is the
-- order's, so the provider's idempotency key (`refund-<id>`) stays the one
-- already sent.
INSERT INTO refunds (id, order_id, amount, reason, method, status, actor, created_at, settled_at)
SELECT id, id, total_amount, 'cancelled', payment_method,
       CASE WHEN payment_status = 'refunded' THEN 'succeeded' ELSE 'pending' END, 'system',
       updated_at, CASE WHEN payment_status = 'refunded' THEN updated_at END
FROM orders o
WHERE total_amount > 0
  AND (payment_status = 'refunded'
       OR EXISTS (SELECT 1 FROM outbox
                  WHERE kind = 'payment.refund' AND sent_at IS NULL
                    AND payload->>'order_id' = o.id::text));
UPDATE outbox SET payload = payload || jsonb_build_object('refund_id', payload->>'order_id')
WHERE kind = 'payment.refund' AND NOT payload ? 'refund_id';
