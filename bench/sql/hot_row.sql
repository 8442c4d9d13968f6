-- Ceiling for checkout of one hot product: the stock decrement of a single
-- contended variant row, one transaction each, at the server's synchronous_commit.
BEGIN;
UPDATE product_variants SET stock_quantity = stock_quantity - 1
WHERE product_id = (SELECT id FROM bench_product_ids WHERE n = 1) AND stock_quantity > 0;
COMMIT;
