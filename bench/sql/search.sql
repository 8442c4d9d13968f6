-- Ceiling for full-text search: the API's ranked page query, its count,
-- and the variants of the page.
\set w random(1, 8)
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
SELECT v.id, v.product_id, v.sku, v.option_values, v.price_amount, v.stock_quantity, v.is_active
FROM product_variants v
WHERE v.product_id = ANY(ARRAY(
    SELECT id FROM products
    WHERE deleted_at IS NULL AND is_active AND price_min IS NOT NULL
      AND search_vector @@ to_tsquery('english', (SELECT query FROM bench_words WHERE n = :w))
    ORDER BY ts_rank_cd(search_vector, to_tsquery('english', (SELECT query FROM bench_words WHERE n = :w))) DESC, id
    LIMIT 20))
  AND v.deleted_at IS NULL
ORDER BY v.product_id, v.position, v.id;
