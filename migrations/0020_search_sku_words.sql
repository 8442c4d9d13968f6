-- A SKU is searched by its parts: "K-009" is the words "k" and "009", as
-- a search for it is split. Parsed whole, the text search reads "-009" as
-- a negative number, so a search for a SKU found nothing.
CREATE OR REPLACE FUNCTION products_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', NEW.name), 'A') ||
        setweight(to_tsvector('english', NEW.brand), 'B') ||
        setweight(to_tsvector('english', translate(NEW.variant_terms, '-_.', '   ')), 'B') ||
        setweight(to_tsvector('english',
            coalesce((SELECT name FROM categories WHERE id = NEW.category_id), '')), 'C') ||
        setweight(to_tsvector('english', NEW.description), 'D');
    RETURN NEW;
END;
$$;

-- Every product's words again, through the function above.
UPDATE products p SET search_vector =
    setweight(to_tsvector('english', p.name), 'A') ||
    setweight(to_tsvector('english', p.brand), 'B') ||
    setweight(to_tsvector('english', translate(p.variant_terms, '-_.', '   ')), 'B') ||
    setweight(to_tsvector('english', coalesce(c.name, '')), 'C') ||
    setweight(to_tsvector('english', p.description), 'D')
FROM products q LEFT JOIN categories c ON c.id = q.category_id
WHERE q.id = p.id;
