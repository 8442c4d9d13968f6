-- Pricing: tax classes on categories, discount codes and automatic
-- promotions with their redemptions, what each order line paid in discount
-- and tax, and the defaults that replace the retired ORDER_* settings.

-- A category's tax class (e.g. `reduced` for books) applies to its products
-- and to those of its subcategories that have none of their own.
ALTER TABLE categories ADD COLUMN tax_class text
    CHECK (tax_class IS NULL OR tax_class ~ '^[a-z0-9][a-z0-9-]{0,49}$');

-- Discount codes (with `code`) and automatic promotions (without). Codes are
-- stored upper-case and matched regardless of case. `times_used` counts the
-- redemptions of orders not cancelled; checkout raises it under the row's
-- lock, so the limit holds exactly.
CREATE TABLE discounts (
    id                 uuid PRIMARY KEY,
    code               text CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{2,49}$'),
    description        text NOT NULL DEFAULT '' CHECK (char_length(description) <= 200),
    kind               text NOT NULL CHECK (kind IN ('percentage', 'fixed', 'free_shipping')),
    -- Basis points for a percentage (1000 = 10%), minor units for a fixed
    -- amount, 0 for free shipping.
    value              bigint NOT NULL CHECK (value >= 0),
    min_subtotal       bigint CHECK (min_subtotal >= 0),
    starts_at          timestamptz,
    ends_at            timestamptz,
    usage_limit        integer CHECK (usage_limit > 0),
    per_customer_limit integer CHECK (per_customer_limit > 0),
    category_ids       uuid[] NOT NULL DEFAULT '{}',
    collection_ids     uuid[] NOT NULL DEFAULT '{}',
    product_ids        uuid[] NOT NULL DEFAULT '{}',
    automatic          boolean NOT NULL DEFAULT false,
    stackable          boolean NOT NULL DEFAULT false,
    times_used         integer NOT NULL DEFAULT 0 CHECK (times_used >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (automatic = (code IS NULL)),
    CHECK (kind <> 'percentage' OR value BETWEEN 1 AND 10000),
    CHECK (kind <> 'fixed' OR value > 0),
    CHECK (kind <> 'free_shipping' OR value = 0),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);
CREATE UNIQUE INDEX discounts_code_key ON discounts (code);
CREATE INDEX discounts_automatic ON discounts (id) WHERE automatic;
CREATE TRIGGER discounts_set_updated_at BEFORE UPDATE ON discounts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The codes a shopper applied to their cart.
CREATE TABLE cart_discount_codes (
    cart_id     uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    discount_id uuid NOT NULL REFERENCES discounts (id) ON DELETE CASCADE,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, discount_id)
);

-- One row per order that got a limited discount; a cancelled order's row
-- goes, giving the use back. Guests are counted by email, customers by
-- account and email alike.
CREATE TABLE discount_redemptions (
    discount_id uuid NOT NULL REFERENCES discounts (id) ON DELETE CASCADE,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    user_id     uuid,
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (discount_id, order_id)
);
CREATE INDEX discount_redemptions_by_order ON discount_redemptions (order_id);
CREATE INDEX discount_redemptions_by_email ON discount_redemptions (discount_id, email);
CREATE INDEX discount_redemptions_by_user ON discount_redemptions (discount_id, user_id);

-- What each order was priced with: the shipping method, every adjustment
-- explained, whether prices included the tax, and per line its discount,
-- tax and the rate used.
ALTER TABLE orders
    ADD COLUMN shipping_method_id   uuid,
    ADD COLUMN shipping_method_name text,
    ADD COLUMN adjustments          jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN prices_include_tax   boolean NOT NULL DEFAULT false;
ALTER TABLE order_items
    ADD COLUMN discount_amount bigint NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
    ADD COLUMN tax_amount      bigint NOT NULL DEFAULT 0 CHECK (tax_amount >= 0),
    ADD COLUMN tax_rate_bps    integer NOT NULL DEFAULT 0 CHECK (tax_rate_bps BETWEEN 0 AND 10000);

-- The defaults the retired ORDER_TAX_RATE, ORDER_SHIPPING_COST and
-- ORDER_FREE_SHIPPING_THRESHOLD had: 8% tax and 5.99 shipping, free from
-- 50.00, for the shop's home country. Admins change them like any other.
INSERT INTO shipping_zones (id, name, countries)
SELECT '019a0000-0000-7000-8000-000000000001', 'United States', ARRAY['US']
WHERE NOT EXISTS (SELECT 1 FROM shipping_zones);
INSERT INTO shipping_methods (id, zone_id, position, name, price, free_over,
                              estimated_days_min, estimated_days_max)
SELECT '019a0000-0000-7000-8000-000000000002', '019a0000-0000-7000-8000-000000000001', 0,
       'Standard', 599, 5000, 3, 5
WHERE EXISTS (SELECT 1 FROM shipping_zones WHERE id = '019a0000-0000-7000-8000-000000000001');
INSERT INTO tax_rates (id, country, rate_bps)
SELECT '019a0000-0000-7000-8000-000000000003', 'US', 800
WHERE NOT EXISTS (SELECT 1 FROM tax_rates);
