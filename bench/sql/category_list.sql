-- Ceiling for a category page by price: the API's page query, its count,
-- and the variants of a page of products.
\set c random(1, :categories)
\set page random(0, 4)
\set v random(1, :products - 20)
SELECT id, category_id, name, description, brand, currency, images, thumbnail, attributes,
       warranty, is_active, created_at, updated_at
FROM products
WHERE deleted_at IS NULL AND is_active AND price_min IS NOT NULL
  AND category_id = (SELECT id FROM bench_category_ids WHERE n = :c)
ORDER BY price_min, id LIMIT 20 OFFSET :page * 20;
SELECT count(*) FROM products
WHERE deleted_at IS NULL AND is_active AND price_min IS NOT NULL
  AND category_id = (SELECT id FROM bench_category_ids WHERE n = :c);
SELECT id, product_id, sku, option_values, price_amount, compare_at_amount, stock_quantity,
       weight_grams, is_active, position
FROM product_variants
WHERE product_id = ANY(ARRAY(SELECT id FROM bench_product_ids WHERE n BETWEEN :v AND :v + 19))
  AND deleted_at IS NULL
ORDER BY product_id, position, id;
