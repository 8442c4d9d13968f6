-- What admins do to an order after it is placed. An internal note is a
-- timeline entry only staff see; an order shipped by hand (a shop without
-- the warehouse integration) keeps its carrier beside its tracking number.
ALTER TABLE order_events ADD COLUMN internal boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN carrier text CHECK (char_length(carrier) BETWEEN 1 AND 100);
