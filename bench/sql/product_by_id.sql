-- Ceiling for product detail: the API's queries for one visible product
-- and its variants.
\set n random(1, :products)
SELECT p.id, p.category_id, p.name, p.description, p.brand, p.currency, p.images, p.thumbnail,
       p.attributes, p.warranty, p.is_active, p.created_at, p.updated_at
FROM bench_product_ids b JOIN products p ON p.id = b.id
WHERE b.n = :n AND p.deleted_at IS NULL AND p.is_active AND p.price_min IS NOT NULL;
SELECT id, product_id, sku, option_values, price_amount, compare_at_amount, stock_quantity,
       weight_grams, is_active, position
FROM product_variants
WHERE product_id = ANY(ARRAY(SELECT id FROM bench_product_ids WHERE n = :n)) AND deleted_at IS NULL
ORDER BY product_id, position, id;
