-- Returns (RMAs): a customer asks to send back some units of a delivered
-- order, each with a reason; the shop approves (saying whether it pays the
-- return shipping) or rejects with a note, marks the units received
-- (choosing for each line whether they go back into stock), and refunds
-- them. Units in returns that are not rejected never exceed what was
-- delivered: returns are made under the order's row lock.
CREATE TABLE returns (
    id              uuid PRIMARY KEY,
    order_id        uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status          text NOT NULL
                    CHECK (status IN ('requested', 'approved', 'rejected', 'received', 'refunded')),
    -- Who asked for it, as the timeline names them.
    requested_by    text NOT NULL,
    -- The shop pays for sending the units back.
    return_shipping boolean NOT NULL DEFAULT false,
    -- The shop's word to the customer (why a return was rejected).
    note            text CHECK (char_length(note) BETWEEN 1 AND 2000),
    -- The refund that gave the units' money back.
    refund_id       uuid REFERENCES refunds (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'refunded') = (refund_id IS NOT NULL))
);
CREATE INDEX returns_by_order ON returns (order_id, created_at);
CREATE INDEX returns_by_status ON returns (status, created_at DESC, id DESC);
CREATE TRIGGER returns_set_updated_at BEFORE UPDATE ON returns
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE return_items (
    return_id     uuid NOT NULL REFERENCES returns (id) ON DELETE CASCADE,
    order_item_id uuid NOT NULL REFERENCES order_items (id) ON DELETE CASCADE,
    quantity      integer NOT NULL CHECK (quantity > 0),
    reason        text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    -- Chosen when the units arrive: back into stock, or not (damaged).
    restocked     boolean,
    PRIMARY KEY (return_id, order_item_id)
);
CREATE INDEX return_items_by_item ON return_items (order_item_id);
