-- A variant deleted before its product's options changed keeps its old
-- values, which may be fewer than the options now: leave the missing ones
-- out rather than answer null for them. And a category update that keeps
-- its parent skips the loop check.

CREATE OR REPLACE FUNCTION variant_options(v product_variants) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        jsonb_object_agg(o.name, v.option_values[o.position + 1])
            FILTER (WHERE v.option_values[o.position + 1] IS NOT NULL),
        '{}')
    FROM product_options o WHERE o.product_id = v.product_id
$$;

CREATE OR REPLACE FUNCTION categories_no_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL
       OR (TG_OP = 'UPDATE' AND NEW.parent_id IS NOT DISTINCT FROM OLD.parent_id) THEN
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
