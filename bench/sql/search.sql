-- Ceiling for full-text search: the API's ranked page query and its count.
\set w random(1, 8)
SELECT id, category_id, name, description, brand, sku, price_amount, currency, stock_quantity,
       images, thumbnail, attributes, warranty, is_active, created_at, updated_at
FROM products
WHERE deleted_at IS NULL AND is_active
  AND search_vector @@ to_tsquery('english', (SELECT query FROM bench_words WHERE n = :w))
ORDER BY ts_rank_cd(search_vector, to_tsquery('english', (SELECT query FROM bench_words WHERE n = :w))) DESC, id
LIMIT 20 OFFSET 0;
SELECT count(*) FROM products
WHERE deleted_at IS NULL AND is_active
  AND search_vector @@ to_tsquery('english', (SELECT query FROM bench_words WHERE n = :w));
