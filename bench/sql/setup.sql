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
