-- The search engine's change feed. Each API instance keeps its own index
-- and re-reads what changed since a moment: products by `updated_at` (which
-- only catalog writes touch: checkout writes stock, never products), and
-- `catalog_changes` for the variant changes that leave the product row
-- alone: a variant's stock crossing zero (the in-stock flag), and any admin
-- change to a variant (price, options, SKU, sale). A NOTIFY on each catalog
-- write wakes the instances at once; the re-read heals a missed one.

CREATE INDEX products_updated_at ON products (updated_at);

CREATE TABLE catalog_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id uuid NOT NULL,
    -- When the writing transaction began, as `updated_at` columns are.
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalog_changes_at ON catalog_changes (at);

CREATE FUNCTION product_variants_catalog_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog_changes (product_id)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.product_id ELSE NEW.product_id END);
    RETURN NULL;
END;
$$;
CREATE TRIGGER product_variants_catalog_added AFTER INSERT OR DELETE ON product_variants
    FOR EACH ROW EXECUTE FUNCTION product_variants_catalog_change();
-- A sale changes stock without crossing zero almost always: the condition
-- keeps checkout from writing here but for the last unit sold or the first
-- restocked.
CREATE TRIGGER product_variants_catalog_changed AFTER UPDATE ON product_variants
    FOR EACH ROW WHEN ((OLD.stock_quantity > 0) <> (NEW.stock_quantity > 0)
                       OR OLD.price_amount <> NEW.price_amount
                       OR OLD.is_active <> NEW.is_active
                       OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
                       OR OLD.option_values <> NEW.option_values
                       OR OLD.sku <> NEW.sku)
    EXECUTE FUNCTION product_variants_catalog_change();

-- One notification per writing statement (PostgreSQL folds repeats within
-- a transaction into one).
CREATE FUNCTION catalog_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gokart_catalog', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER products_notify AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify();
CREATE TRIGGER categories_notify AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify();
CREATE TRIGGER catalog_changes_notify AFTER INSERT ON catalog_changes
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify();
