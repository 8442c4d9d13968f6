-- Ceiling for a category page by price: the API's page query and its count.
\set c random(1, :categories)
\set page random(0, 4)
SELECT id, category_id, name, description, brand, sku, price_amount, currency, stock_quantity,
       images, thumbnail, attributes, warranty, is_active, created_at, updated_at
FROM products
WHERE deleted_at IS NULL AND is_active
  AND category_id = (SELECT id FROM bench_category_ids WHERE n = :c)
ORDER BY price_amount, id LIMIT 20 OFFSET :page * 20;
SELECT count(*) FROM products
WHERE deleted_at IS NULL AND is_active
  AND category_id = (SELECT id FROM bench_category_ids WHERE n = :c);
