-- Ceiling for checkout: the statements the API runs for one "add to cart +
-- order" (as gokart-bench's checkout scenario drives it), in the same order,
-- with the same locks, in the same two transactions, at the server's
-- synchronous_commit. Each client is one customer (bench_customers); the
-- product is the first (-D spread=1, one hot row) or one of the first
-- :spread of bench_variant_ids.
\set n :client_id + 1
\set v random(1, :spread)
SELECT user_id AS uid, session_id AS sid, address_id AS aid FROM bench_customers WHERE n = :n \gset
SELECT id AS vid FROM bench_variant_ids WHERE n = :v \gset

-- POST /cart/items: the session, then the cart transaction.
SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = :sid AND s.user_id = :uid AND s.revoked_at IS NULL AND s.expires_at > now();
BEGIN;
SELECT v.id, v.stock_quantity FROM product_variants v JOIN products p ON p.id = v.product_id
  WHERE v.id = :vid AND v.deleted_at IS NULL AND v.is_active AND p.deleted_at IS NULL AND p.is_active;
INSERT INTO carts (id, user_id) VALUES (gen_random_uuid(), :uid)
  ON CONFLICT (user_id) DO UPDATE SET updated_at = now() RETURNING id AS cid \gset
SELECT (SELECT quantity FROM cart_items WHERE cart_id = :cid AND variant_id = :vid) AS quantity,
       (SELECT count(*) FROM cart_items WHERE cart_id = :cid) AS lines;
INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (:cid, :vid, 1)
  ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = EXCLUDED.quantity;
SELECT v.product_id AS pid, i.variant_id,
       COALESCE((SELECT jsonb_object_agg(o.name, v.option_values[o.position + 1])
                        FILTER (WHERE v.option_values[o.position + 1] IS NOT NULL)
                 FROM product_options o WHERE o.product_id = v.product_id), '{}') AS options,
       i.quantity, p.name, v.sku, v.price_amount AS price, p.currency, p.thumbnail, p.media,
       v.stock_quantity, v.weight_grams,
       (v.deleted_at IS NULL AND v.is_active AND p.deleted_at IS NULL AND p.is_active) AS on_sale
  FROM cart_items i JOIN product_variants v ON v.id = i.variant_id JOIN products p ON p.id = v.product_id
  WHERE i.cart_id = :cid ORDER BY i.added_at, i.variant_id;
SELECT COALESCE((SELECT jsonb_agg(to_jsonb(d) || jsonb_build_object('on_cart', c.added_at IS NOT NULL)
                                  ORDER BY c.added_at, d.id)
  FROM discounts d LEFT JOIN cart_discount_codes c ON c.discount_id = d.id AND c.cart_id = :cid
  WHERE c.added_at IS NOT NULL
     OR (d.automatic AND (d.starts_at IS NULL OR d.starts_at <= now()) AND (d.ends_at IS NULL OR d.ends_at > now())
         AND (d.usage_limit IS NULL OR d.times_used < d.usage_limit))), '[]'), '[]'::json, '[]'::json;
COMMIT;

-- POST /orders: the session, then the checkout transaction.
SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id = :sid AND s.user_id = :uid AND s.revoked_at IS NULL AND s.expires_at > now();
BEGIN;
SELECT id, name, phone, street1, street2, city, state, postal_code, country,
       is_default_shipping, is_default_billing, created_at
  FROM addresses WHERE user_id = :uid AND id IN (:aid, :aid);
SELECT id AS cid FROM carts WHERE user_id = :uid FOR UPDATE \gset
SELECT v.product_id AS pid, i.variant_id,
       COALESCE((SELECT jsonb_object_agg(o.name, v.option_values[o.position + 1])
                        FILTER (WHERE v.option_values[o.position + 1] IS NOT NULL)
                 FROM product_options o WHERE o.product_id = v.product_id), '{}') AS options,
       i.quantity, p.name, v.sku, v.price_amount AS price, p.currency, p.thumbnail, p.media,
       v.stock_quantity, v.weight_grams,
       (v.deleted_at IS NULL AND v.is_active AND p.deleted_at IS NULL AND p.is_active) AS on_sale
  FROM cart_items i JOIN product_variants v ON v.id = i.variant_id JOIN products p ON p.id = v.product_id
  WHERE i.cart_id = :cid ORDER BY i.added_at, i.variant_id \gset
SELECT COALESCE((SELECT jsonb_agg(to_jsonb(d) || jsonb_build_object('on_cart', c.added_at IS NOT NULL)
                                  ORDER BY c.added_at, d.id)
  FROM discounts d LEFT JOIN cart_discount_codes c ON c.discount_id = d.id AND c.cart_id = :cid
  WHERE c.added_at IS NOT NULL
     OR (d.automatic AND (d.starts_at IS NULL OR d.starts_at <= now()) AND (d.ends_at IS NULL OR d.ends_at > now())
         AND (d.usage_limit IS NULL OR d.times_used < d.usage_limit))), '[]'),
  COALESCE((SELECT json_agg(json_build_object('id', z.id, 'countries', z.countries, 'regions', z.regions,
              'methods', COALESCE((SELECT json_agg(m ORDER BY m.position)
                                   FROM shipping_methods m WHERE m.zone_id = z.id), '[]'))
              ORDER BY z.created_at, z.id)
            FROM shipping_zones z WHERE EXISTS (SELECT 1 FROM unnest(z.countries) c WHERE upper(c) = upper('US'))), '[]'),
  COALESCE((SELECT json_agg(json_build_object('country', r.country, 'region', r.region, 'tax_class', r.tax_class,
              'rate_bps', r.rate_bps, 'inclusive', r.inclusive))
            FROM tax_rates r WHERE upper(r.country) = upper('US')), '[]');
SAVEPOINT order_number;
INSERT INTO orders (id, order_number, user_id, status, payment_status, payment_method,
                    shipping_address, billing_address, currency, subtotal_amount, tax_amount,
                    shipping_amount, discount_amount, total_amount,
                    estimated_delivery_date, shipping_method_id, shipping_method_name,
                    adjustments, prices_include_tax)
  VALUES (gen_random_uuid(), 'GK-' || upper(substr(md5(random()::text), 1, 12)), :uid, 'pending_payment', 'pending', 'manual',
          '{"city": "Springfield", "name": "Bench", "phone": "+1 555 010 0199", "state": null, "country": "US", "street1": "1 Main St", "street2": null, "postal_code": "62701"}',
          '{"city": "Springfield", "name": "Bench", "phone": "+1 555 010 0199", "state": null, "country": "US", "street1": "1 Main St", "street2": null, "postal_code": "62701"}',
          'usd', :price, 0, 599, 0, :price + 599, current_date + 5, NULL, 'Standard', '[]', false)
  RETURNING id AS oid \gset
RELEASE SAVEPOINT order_number;
INSERT INTO order_items (order_id, product_id, variant_id, options, name, sku, image,
                         unit_price_amount, quantity, line_total_amount, media_id,
                         discount_amount, tax_amount, tax_rate_bps)
  SELECT :oid::uuid, * FROM unnest(ARRAY[:pid::uuid], ARRAY[:vid::uuid], ARRAY['{}']::jsonb[],
                               ARRAY['bench']::text[], ARRAY['bench']::text[], ARRAY[NULL]::text[],
                               ARRAY[:price::int8], ARRAY[1]::int4[], ARRAY[:price::int8],
                               ARRAY[NULL]::uuid[], ARRAY[0]::int8[], ARRAY[0]::int8[], ARRAY[0]::int4[]);
INSERT INTO order_events (order_id, status, actor, note) VALUES (:oid, 'pending_payment', 'customer', 'order placed');
-- The webhook queued (webhooks::emit). pgbench reads `:name` as a variable
-- even inside a literal, so the timestamp's colons are chr(58) here.
INSERT INTO outbox (id, kind, payload, trace_id, created_at)
  SELECT gen_random_uuid(), 'webhook',
         jsonb_build_object('endpoint_id', e.id, 'event_id', x.event_id, 'type', x.type,
                            'subject', x.subject, 'data', x.data,
                            'timestamp', to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')
                                         || chr(58) || to_char(statement_timestamp() AT TIME ZONE 'UTC', 'MI')
                                         || chr(58) || to_char(statement_timestamp() AT TIME ZONE 'UTC', 'SS.US"Z"')),
         md5(random()::text), statement_timestamp() + x.n * interval '1 microsecond'
  FROM unnest(ARRAY[md5(random()::text)]::text[], ARRAY['order.created']::text[], ARRAY['order:' || :oid::text]::text[], ARRAY[jsonb_build_object('order', jsonb_build_object('id', :oid::text, 'total', :price::int8))]::jsonb[])
           WITH ORDINALITY AS x (event_id, type, subject, data, n)
  JOIN webhook_endpoints e ON e.enabled AND x.type = ANY (e.events);
UPDATE orders SET status = 'confirmed', payment_status = 'paid' WHERE id = :oid;
INSERT INTO order_events (order_id, status, actor, note) VALUES (:oid, 'confirmed', 'payment', 'payment accepted');
INSERT INTO outbox (id, kind, payload, trace_id)
  VALUES (gen_random_uuid(), 'warehouse', jsonb_build_object('order_id', :oid::text), md5(random()::text));
INSERT INTO outbox (id, kind, payload, trace_id)
  VALUES (gen_random_uuid(), 'notification', jsonb_build_object('event', 'confirmed', 'order_id', :oid::text), md5(random()::text));
-- The webhook queued (webhooks::emit). pgbench reads `:name` as a variable
-- even inside a literal, so the timestamp's colons are chr(58) here.
INSERT INTO outbox (id, kind, payload, trace_id, created_at)
  SELECT gen_random_uuid(), 'webhook',
         jsonb_build_object('endpoint_id', e.id, 'event_id', x.event_id, 'type', x.type,
                            'subject', x.subject, 'data', x.data,
                            'timestamp', to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')
                                         || chr(58) || to_char(statement_timestamp() AT TIME ZONE 'UTC', 'MI')
                                         || chr(58) || to_char(statement_timestamp() AT TIME ZONE 'UTC', 'SS.US"Z"')),
         md5(random()::text), statement_timestamp() + x.n * interval '1 microsecond'
  FROM unnest(ARRAY[md5(random()::text), md5(random()::text)]::text[], ARRAY['order.paid', 'order.status_changed']::text[], ARRAY['order:' || :oid::text, 'order:' || :oid::text]::text[], ARRAY[jsonb_build_object('order', jsonb_build_object('id', :oid::text, 'total', :price::int8)), jsonb_build_object('order', jsonb_build_object('id', :oid::text, 'total', :price::int8))]::jsonb[])
           WITH ORDINALITY AS x (event_id, type, subject, data, n)
  JOIN webhook_endpoints e ON e.enabled AND x.type = ANY (e.events);
WITH codes AS (DELETE FROM cart_discount_codes WHERE cart_id = :cid) DELETE FROM cart_items WHERE cart_id = :cid;
SELECT id, order_number, user_id, status, payment_status, payment_method, shipping_address, billing_address,
       currency, subtotal_amount, tax_amount, shipping_amount, discount_amount, total_amount, tracking_number,
       estimated_delivery_date, shipping_method_id, shipping_method_name, adjustments, prices_include_tax,
       created_at, updated_at,
       COALESCE((SELECT json_agg(json_build_object(
                   'product_id', i.product_id, 'variant_id', i.variant_id, 'name', i.name,
                   'sku', i.sku, 'options', i.options, 'image', i.image,
                   'media_id', i.media_id, 'unit_price_amount', i.unit_price_amount,
                   'quantity', i.quantity, 'line_total_amount', i.line_total_amount,
                   'discount_amount', i.discount_amount, 'tax_amount', i.tax_amount,
                   'tax_rate_bps', i.tax_rate_bps) ORDER BY i.name, i.variant_id)
                 FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
       COALESCE((SELECT json_agg(json_build_object('status', e.status, 'actor', e.actor, 'note', e.note,
                   'created_at', e.created_at) ORDER BY e.id)
                 FROM order_events e WHERE e.order_id = o.id), '[]') AS events
  FROM orders o WHERE o.id = :oid;
SELECT v.id, v.stock_quantity, v.price_amount,
       (v.deleted_at IS NULL AND v.is_active AND p.deleted_at IS NULL AND p.is_active) AS on_sale
  FROM product_variants v JOIN products p ON p.id = v.product_id
  WHERE v.id = ANY(ARRAY[:vid::uuid]) ORDER BY v.id FOR NO KEY UPDATE OF v;
UPDATE product_variants v SET stock_quantity = v.stock_quantity + x.delta
  FROM unnest(ARRAY[:vid::uuid], ARRAY[-1]::int4[]) AS x(id, delta) WHERE v.id = x.id;
COMMIT;
