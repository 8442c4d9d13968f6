-- Shipping zones (countries, optionally some of their regions) and the
-- methods each offers: a price, or prices by cart weight, free over a
-- threshold, and a delivery estimate in days.
CREATE TABLE shipping_zones (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    countries  text[] NOT NULL CHECK (cardinality(countries) BETWEEN 1 AND 250),
    regions    text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER shipping_zones_set_updated_at BEFORE UPDATE ON shipping_zones
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE shipping_methods (
    id                 uuid PRIMARY KEY,
    zone_id            uuid NOT NULL REFERENCES shipping_zones (id) ON DELETE CASCADE,
    position           integer NOT NULL CHECK (position >= 0),
    name               text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    price              bigint NOT NULL CHECK (price >= 0),
    free_over          bigint CHECK (free_over >= 0),
    -- [{"up_to_grams": n, "price": n}], lightest first; empty: the flat price.
    weight_bands       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(weight_bands) = 'array'),
    estimated_days_min integer NOT NULL CHECK (estimated_days_min >= 0),
    estimated_days_max integer NOT NULL,
    CHECK (estimated_days_max >= estimated_days_min)
);
CREATE INDEX shipping_methods_of_zone ON shipping_methods (zone_id, position);
