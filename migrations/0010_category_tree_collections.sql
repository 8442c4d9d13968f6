-- Categories nest; collections are curated, ordered product lists; and a
-- product's search document covers its variants' option values and SKUs.

ALTER TABLE categories ADD COLUMN parent_id uuid REFERENCES categories (id);
CREATE INDEX categories_by_parent ON categories (parent_id);

-- No category may be its own ancestor. Changes to the tree take one lock,
-- so two changes that would each be fine alone cannot close a loop together.
CREATE FUNCTION categories_no_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('categories_tree'));
    IF EXISTS (
        WITH RECURSIVE up (id, parent_id) AS (
            SELECT id, parent_id FROM categories WHERE id = NEW.parent_id
            UNION
            SELECT c.id, c.parent_id FROM categories c JOIN up ON c.id = up.parent_id
        )
        SELECT 1 FROM up WHERE id = NEW.id
    ) THEN
        RAISE EXCEPTION 'category % would be its own ancestor', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'categories_no_cycle';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER categories_no_cycle BEFORE INSERT OR UPDATE OF parent_id ON categories
    FOR EACH ROW EXECUTE FUNCTION categories_no_cycle();

CREATE TABLE collections (
    id          uuid PRIMARY KEY,
    handle      text NOT NULL CHECK (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(handle) <= 100),
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collections_handle_key UNIQUE (handle)
);
CREATE TRIGGER collections_set_updated_at BEFORE UPDATE ON collections
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE collection_products (
    collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    product_id    uuid NOT NULL REFERENCES products (id),
    position      integer NOT NULL,
    PRIMARY KEY (collection_id, product_id)
);
CREATE INDEX collection_products_in_order ON collection_products (collection_id, position);

-- The words of a product's live variants (option values and SKUs), kept by
-- the variant trigger and weighted with the brand in the search document.
ALTER TABLE products ADD COLUMN variant_terms text NOT NULL DEFAULT '';

CREATE OR REPLACE FUNCTION products_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', NEW.name), 'A') ||
        setweight(to_tsvector('english', NEW.brand), 'B') ||
        setweight(to_tsvector('english', NEW.variant_terms), 'B') ||
        setweight(to_tsvector('english',
            coalesce((SELECT name FROM categories WHERE id = NEW.category_id), '')), 'C') ||
        setweight(to_tsvector('english', NEW.description), 'D');
    RETURN NEW;
END;
$$;
DROP TRIGGER products_search_vector ON products;
CREATE TRIGGER products_search_vector
    BEFORE INSERT OR UPDATE OF name, brand, description, category_id, variant_terms ON products
    FOR EACH ROW EXECUTE FUNCTION products_search_vector();

-- One trigger keeps every copy a product holds of its variants: the price
-- range and the search words. Admin changes write variants (checkout
-- writes only stock, which fires nothing here).
DROP TRIGGER product_variants_refresh_prices ON product_variants;
DROP FUNCTION product_variants_refresh_prices();
CREATE FUNCTION product_variants_refresh_product() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    product uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.product_id ELSE NEW.product_id END;
BEGIN
    UPDATE products p
    SET price_min = live.low, price_max = live.high, variant_terms = live.terms
    FROM (SELECT min(price_amount) FILTER (WHERE is_active) AS low,
                 max(price_amount) FILTER (WHERE is_active) AS high,
                 coalesce(string_agg(array_to_string(option_values, ' ') || ' ' || sku, ' '
                                     ORDER BY position, id), '') AS terms
          FROM product_variants
          WHERE product_id = product AND deleted_at IS NULL) live
    WHERE p.id = product
      AND (p.price_min IS DISTINCT FROM live.low OR p.price_max IS DISTINCT FROM live.high
           OR p.variant_terms IS DISTINCT FROM live.terms);
    RETURN NULL;
END;
$$;
CREATE TRIGGER product_variants_refresh_product
    AFTER INSERT OR DELETE OR UPDATE OF price_amount, is_active, deleted_at, option_values, sku
    ON product_variants
    FOR EACH ROW EXECUTE FUNCTION product_variants_refresh_product();

-- Fill the new words in for every product at once.
UPDATE products p SET variant_terms = v.terms
FROM (SELECT product_id,
             string_agg(array_to_string(option_values, ' ') || ' ' || sku, ' '
                        ORDER BY position, id) AS terms
      FROM product_variants WHERE deleted_at IS NULL GROUP BY product_id) v
WHERE p.id = v.product_id;

-- A variant's option values by option name, as orders and carts show them.
CREATE FUNCTION variant_options(v product_variants) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_object_agg(o.name, v.option_values[o.position + 1]), '{}')
    FROM product_options o WHERE o.product_id = v.product_id
$$;
