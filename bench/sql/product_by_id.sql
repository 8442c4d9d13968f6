-- Ceiling for product detail: the API's query for one visible product.
\set n random(1, :products)
SELECT p.id, p.category_id, p.name, p.description, p.brand, p.sku, p.price_amount, p.currency,
       p.stock_quantity, p.images, p.thumbnail, p.attributes, p.warranty, p.is_active,
       p.created_at, p.updated_at
FROM bench_product_ids b JOIN products p ON p.id = b.id
WHERE b.n = :n AND p.deleted_at IS NULL AND p.is_active;
