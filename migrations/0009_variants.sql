-- Variants: the unit that has a SKU, a price and stock. A product has up to
-- three options (Size, Color, ...) and one variant per combination of their
-- values; a product without options has exactly one variant. Every existing
-- product becomes a product with one such variant, carrying its SKU, price
-- and stock; carts and orders move to it.
--
-- The product columns for SKU, price and stock are dropped, not kept for
-- the previous release: an instance still running it fails its catalog and
-- checkout queries until it is replaced, rather than selling from copies
-- that no longer change.

CREATE TABLE product_options (
    id         uuid PRIMARY KEY,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   smallint NOT NULL CHECK (position BETWEEN 0 AND 2),
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    "values"   text[] NOT NULL CHECK (cardinality("values") BETWEEN 1 AND 100),
    CONSTRAINT product_options_position_key UNIQUE (product_id, position)
);
CREATE UNIQUE INDEX product_options_name_key ON product_options (product_id, lower(name));

CREATE TABLE product_variants (
    id                uuid PRIMARY KEY,
    product_id        uuid NOT NULL REFERENCES products (id),
    sku               text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    -- One value per option, in the options' order; empty without options.
    option_values     text[] NOT NULL DEFAULT '{}',
    price_amount      bigint NOT NULL CHECK (price_amount >= 0),
    compare_at_amount bigint CHECK (compare_at_amount >= 0),
    -- Stock can never go negative, whatever the code above does.
    stock_quantity    integer NOT NULL DEFAULT 0 CHECK (stock_quantity >= 0),
    weight_grams      integer CHECK (weight_grams >= 0),
    is_active         boolean NOT NULL DEFAULT true,
    position          integer NOT NULL DEFAULT 0,
    deleted_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- SKUs are permanent: a deleted variant keeps its SKU for order history.
    CONSTRAINT product_variants_sku_key UNIQUE (sku)
);
CREATE UNIQUE INDEX product_variants_combination ON product_variants (product_id, option_values)
    WHERE deleted_at IS NULL;
CREATE INDEX product_variants_by_product ON product_variants (product_id, position, id);
CREATE TRIGGER product_variants_set_updated_at BEFORE UPDATE ON product_variants
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

INSERT INTO product_variants (id, product_id, sku, price_amount, stock_quantity, is_active,
                              deleted_at, created_at, updated_at)
SELECT gen_random_uuid(), id, sku, price_amount, stock_quantity, true, deleted_at,
       created_at, updated_at
FROM products;

-- What lists sort and filter on: the lowest and highest price of a
-- product's live variants (NULL when it has none to sell). Only admin
-- changes write them; checkout changes stock, which leaves them alone, so
-- buying never locks a product row.
ALTER TABLE products ADD COLUMN price_min bigint, ADD COLUMN price_max bigint;
UPDATE products p SET price_min = p.price_amount, price_max = p.price_amount
    WHERE p.deleted_at IS NULL;

CREATE FUNCTION product_variants_refresh_prices() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    product uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.product_id ELSE NEW.product_id END;
BEGIN
    UPDATE products p SET price_min = live.low, price_max = live.high
    FROM (SELECT min(price_amount) AS low, max(price_amount) AS high
          FROM product_variants
          WHERE product_id = product AND is_active AND deleted_at IS NULL) live
    WHERE p.id = product
      AND (p.price_min IS DISTINCT FROM live.low OR p.price_max IS DISTINCT FROM live.high);
    RETURN NULL;
END;
$$;
CREATE TRIGGER product_variants_refresh_prices
    AFTER INSERT OR DELETE OR UPDATE OF price_amount, is_active, deleted_at ON product_variants
    FOR EACH ROW EXECUTE FUNCTION product_variants_refresh_prices();

-- Carts hold variants.
ALTER TABLE cart_items ADD COLUMN variant_id uuid REFERENCES product_variants (id);
UPDATE cart_items i SET variant_id = v.id FROM product_variants v WHERE v.product_id = i.product_id;
ALTER TABLE cart_items
    ALTER COLUMN variant_id SET NOT NULL,
    DROP CONSTRAINT cart_items_pkey,
    ADD PRIMARY KEY (cart_id, variant_id),
    DROP COLUMN product_id;

-- Order items keep the product and name them by variant, with the options
-- chosen as they were when bought.
ALTER TABLE order_items
    ADD COLUMN variant_id uuid REFERENCES product_variants (id),
    ADD COLUMN options jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object');
UPDATE order_items i SET variant_id = v.id FROM product_variants v WHERE v.product_id = i.product_id;
ALTER TABLE order_items
    ALTER COLUMN variant_id SET NOT NULL,
    DROP CONSTRAINT order_items_pkey,
    ADD PRIMARY KEY (order_id, variant_id);

-- Price and stock now live on variants.
DROP INDEX products_price;
DROP INDEX products_category_price;
ALTER TABLE products
    DROP CONSTRAINT products_sku_key,
    DROP COLUMN sku,
    DROP COLUMN price_amount,
    DROP COLUMN stock_quantity;
CREATE INDEX products_price ON products (price_min, id)
    WHERE deleted_at IS NULL AND is_active;
CREATE INDEX products_category_price ON products (category_id, price_min, id)
    WHERE deleted_at IS NULL AND is_active;
