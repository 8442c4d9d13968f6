-- Which photo an order item shows: a photo some order shows keeps its
-- files when admins delete it from the product, so order history never
-- loses its pictures.
ALTER TABLE order_items ADD COLUMN media_id uuid;
CREATE INDEX order_items_media ON order_items (media_id) WHERE media_id IS NOT NULL;
