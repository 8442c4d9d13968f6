-- Lookup tables for the pgbench ceilings: pgbench draws random integers,
-- the catalog is keyed by UUID, so each script maps a number to a row here.
DROP TABLE IF EXISTS bench_product_ids, bench_category_ids, bench_words;
CREATE TABLE bench_product_ids (n integer PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_product_ids
SELECT row_number() OVER (ORDER BY id), id FROM products
WHERE deleted_at IS NULL AND is_active AND price_min IS NOT NULL;
CREATE TABLE bench_category_ids (n integer PRIMARY KEY, id uuid NOT NULL, slug text NOT NULL);
INSERT INTO bench_category_ids
SELECT row_number() OVER (ORDER BY id), id, slug FROM categories;
-- The words the search scenario sends, as the API turns them into queries.
CREATE TABLE bench_words (n integer PRIMARY KEY, word text NOT NULL, query text NOT NULL);
INSERT INTO bench_words
SELECT n, word, word || ':*'
FROM unnest(ARRAY['kettle', 'lamp', 'head', 'wireless', 'tent', 'desk', 'bottle', 'charger'])
     WITH ORDINALITY AS w (word, n);
ANALYZE bench_product_ids, bench_category_ids, bench_words;
-- The checkout ceiling's customers (one per pgbench client, up to 64), each
-- signed in with an address, as gokart-bench's customers are; and one
-- variant per product, the first 100 with stock out of reach, as
-- gokart-bench raises the stock of the products it buys.
DROP TABLE IF EXISTS bench_customers, bench_variant_ids;
CREATE TABLE bench_customers (n integer PRIMARY KEY, user_id uuid NOT NULL,
                              session_id uuid NOT NULL, address_id uuid NOT NULL);
INSERT INTO bench_customers
SELECT n, gen_random_uuid(), gen_random_uuid(), gen_random_uuid() FROM generate_series(1, 64) AS n;
INSERT INTO users (id, name, email, password_hash)
SELECT c.user_id, 'Pgbench ' || c.n, 'pgbench-' || c.n || '@bench.test',
       (SELECT password_hash FROM users WHERE role = 'admin' LIMIT 1)
FROM bench_customers c;
INSERT INTO sessions (id, user_id, expires_at)
SELECT session_id, user_id, now() + interval '1 day' FROM bench_customers;
INSERT INTO addresses (id, user_id, name, phone, street1, city, postal_code, country,
                       is_default_shipping, is_default_billing)
SELECT address_id, user_id, 'Bench', '+1 555 010 0199', '1 Main St', 'Springfield', '62701', 'US', true, true
FROM bench_customers;
CREATE TABLE bench_variant_ids (n integer PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_variant_ids
SELECT b.n, (SELECT v.id FROM product_variants v
             WHERE v.product_id = b.id AND v.deleted_at IS NULL AND v.is_active ORDER BY v.id LIMIT 1)
FROM bench_product_ids b
WHERE EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = b.id AND v.deleted_at IS NULL AND v.is_active);
UPDATE product_variants SET stock_quantity = 1000000000
WHERE id IN (SELECT id FROM bench_variant_ids WHERE n <= 100);
ANALYZE bench_customers, bench_variant_ids;
