-- Ceiling for full-text search: the API's ranked page query, its count,
-- and the variants of a page of products.
\set w random(1, 8)
\set v random(1, :products - 20)
SELECT id, category_id, name, description, brand, currency, images, thumbnail, attributes,
       warranty, is_active, created_at, updated_at
FROM products
WHERE deleted_at IS NULL AND is_active AND price_min IS NOT NULL
  AND search_vector @@ to_tsquery('english', (SELECT query FROM bench_words WHERE n = :w))
ORDER BY ts_rank_cd(search_vector, to_tsquery('english', (SELECT query FROM bench_words WHERE n = :w))) DESC, id
LIMIT 20 OFFSET 0;
SELECT count(*) FROM products
WHERE deleted_at IS NULL AND is_active AND price_min IS NOT NULL
  AND search_vector @@ to_tsquery('english', (SELECT query FROM bench_words WHERE n = :w));
SELECT id, product_id, sku, option_values, price_amount, compare_at_amount, stock_quantity,
       weight_grams, is_active, position
FROM product_variants
WHERE product_id = ANY(ARRAY(SELECT id FROM bench_product_ids WHERE n BETWEEN :v AND :v + 19))
  AND deleted_at IS NULL
ORDER BY product_id, position, id;
