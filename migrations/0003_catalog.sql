-- Categories and products, with full-text search kept in sync by the database.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 100),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT categories_slug_key UNIQUE (slug)
);
-- Names are unique in any case, so `?category=<name>` names one category.
CREATE UNIQUE INDEX categories_name_key ON categories (lower(name));
CREATE TRIGGER categories_set_updated_at BEFORE UPDATE ON categories
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE products (
    id             uuid PRIMARY KEY,
    -- NULL only for deleted products whose category was deleted after them.
    category_id    uuid REFERENCES categories (id),
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description    text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    brand          text NOT NULL DEFAULT '' CHECK (char_length(brand) <= 100),
    sku            text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    price_amount   bigint NOT NULL CHECK (price_amount >= 0),
    currency       text NOT NULL DEFAULT 'usd' CHECK (currency ~ '^[a-z]{3}$'),
    -- Stock can never go negative, whatever the code above does.
    stock_quantity integer NOT NULL DEFAULT 0 CHECK (stock_quantity >= 0),
    images         text[] NOT NULL DEFAULT '{}',
    thumbnail      text,
    attributes     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    warranty       text,
    is_active      boolean NOT NULL DEFAULT true,
    deleted_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    search_vector  tsvector NOT NULL DEFAULT ''::tsvector,
    -- SKUs are permanent: a deleted product keeps its SKU for order history.
    CONSTRAINT products_sku_key UNIQUE (sku),
    CONSTRAINT products_live_have_category CHECK (deleted_at IS NOT NULL OR category_id IS NOT NULL)
);
CREATE TRIGGER products_set_updated_at BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Weighted search document: name > brand > category > description.
CREATE FUNCTION products_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', NEW.name), 'A') ||
        setweight(to_tsvector('english', NEW.brand), 'B') ||
        setweight(to_tsvector('english',
            coalesce((SELECT name FROM categories WHERE id = NEW.category_id), '')), 'C') ||
        setweight(to_tsvector('english', NEW.description), 'D');
    RETURN NEW;
END;
$$;
CREATE TRIGGER products_search_vector
    BEFORE INSERT OR UPDATE OF name, brand, description, category_id ON products
    FOR EACH ROW EXECUTE FUNCTION products_search_vector();

-- A renamed category re-indexes its products, locking them in id order
-- first, as checkout does, so the two never deadlock.
CREATE FUNCTION categories_reindex_products() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM products WHERE category_id = NEW.id ORDER BY id FOR NO KEY UPDATE;
    UPDATE products SET category_id = category_id WHERE category_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER categories_reindex_products AFTER UPDATE OF name ON categories
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION categories_reindex_products();

-- Shoppers only ever see live products; every index is partial on that.
CREATE INDEX products_search ON products USING gin (search_vector)
    WHERE deleted_at IS NULL AND is_active;
CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops)
    WHERE deleted_at IS NULL AND is_active;
CREATE INDEX products_newest ON products (created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND is_active;
CREATE INDEX products_price ON products (price_amount, id)
    WHERE deleted_at IS NULL AND is_active;
CREATE INDEX products_category_newest ON products (category_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND is_active;
CREATE INDEX products_category_price ON products (category_id, price_amount, id)
    WHERE deleted_at IS NULL AND is_active;
