-- Tax rates by destination: a country, optionally one of its regions, and
-- optionally a tax class (a reduced rate for books, say). The most specific
-- rate for a line's destination and class wins (see the pricing engine).
CREATE TABLE tax_rates (
    id         uuid PRIMARY KEY,
    country    text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region     text CHECK (region IS NULL OR char_length(region) BETWEEN 1 AND 100),
    tax_class  text CHECK (tax_class IS NULL OR tax_class ~ '^[a-z0-9][a-z0-9-]{0,49}$'),
    rate_bps   integer NOT NULL CHECK (rate_bps BETWEEN 0 AND 10000),
    -- Prices shown to this destination already include the tax.
    inclusive  boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tax_rates_scope_key UNIQUE NULLS NOT DISTINCT (country, region, tax_class)
);
CREATE TRIGGER tax_rates_set_updated_at BEFORE UPDATE ON tax_rates
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
