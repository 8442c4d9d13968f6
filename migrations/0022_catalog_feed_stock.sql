-- The catalog feed now carries every change a shopper could see, for the
-- product cache each instance keeps (product pages and lists answered from
-- memory): any change to a variant, stock included. A change that leaves
-- what the search index holds alone (stock that does not cross zero, a
-- compare-at price, a weight, a position) is marked so, and the index skips
-- it. Such changes notify nobody: checkout must not queue a notification
-- per order, and the instances' poll (every half second) reads them.

ALTER TABLE catalog_changes ADD COLUMN index_unchanged boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION product_variants_catalog_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog_changes (product_id, index_unchanged)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.product_id ELSE NEW.product_id END,
            TG_OP = 'UPDATE'
            AND (OLD.stock_quantity > 0) = (NEW.stock_quantity > 0)
            AND OLD.price_amount = NEW.price_amount
            AND OLD.is_active = NEW.is_active
            AND OLD.deleted_at IS NOT DISTINCT FROM NEW.deleted_at
            AND OLD.option_values = NEW.option_values
            AND OLD.sku = NEW.sku);
    RETURN NULL;
END;
$$;

DROP TRIGGER product_variants_catalog_changed ON product_variants;
CREATE TRIGGER product_variants_catalog_changed AFTER UPDATE ON product_variants
    FOR EACH ROW EXECUTE FUNCTION product_variants_catalog_change();

DROP TRIGGER catalog_changes_notify ON catalog_changes;
CREATE TRIGGER catalog_changes_notify AFTER INSERT ON catalog_changes
    FOR EACH ROW WHEN (NOT NEW.index_unchanged) EXECUTE FUNCTION catalog_notify();
