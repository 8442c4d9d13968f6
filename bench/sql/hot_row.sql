-- Ceiling for checkout of one hot product: the stock decrement of a single
-- contended row, one transaction each, at the server's synchronous_commit.
BEGIN;
UPDATE products SET stock_quantity = stock_quantity - 1
WHERE id = (SELECT id FROM bench_product_ids WHERE n = 1) AND stock_quantity > 0;
COMMIT;
