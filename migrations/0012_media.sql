-- Product media: photos uploaded by admins, stored by the media store
-- (a local directory or a bucket) under keys derived from their ids, so a
-- stored object never changes and may be cached for good.

CREATE TABLE product_media (
    id               uuid PRIMARY KEY,
    product_id       uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position         integer NOT NULL CHECK (position >= 0),
    alt              text NOT NULL DEFAULT '' CHECK (char_length(alt) <= 500),
    -- The format of the stored original (renditions are WebP).
    format           text NOT NULL CHECK (format IN ('jpeg', 'png', 'webp')),
    width            integer NOT NULL CHECK (width > 0),
    height           integer NOT NULL CHECK (height > 0),
    -- Widths of the resized WebP renditions, narrowest first.
    rendition_widths integer[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_media_in_order ON product_media (product_id, position);

-- Which variants a photo shows (a subset of its product's media).
CREATE TABLE variant_media (
    media_id   uuid NOT NULL REFERENCES product_media (id) ON DELETE CASCADE,
    variant_id uuid NOT NULL REFERENCES product_variants (id) ON DELETE CASCADE,
    PRIMARY KEY (media_id, variant_id)
);
CREATE INDEX variant_media_variant ON variant_media (variant_id);

-- Each product carries a copy of its media, in order, so that a product
-- (or a page of them) is read without another query. Only the triggers
-- below write it.
ALTER TABLE products ADD COLUMN media jsonb NOT NULL DEFAULT '[]';

CREATE FUNCTION product_media_refresh(product uuid) RETURNS void
LANGUAGE sql AS $$
    UPDATE products p
    SET media = live.media
    FROM (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'id', m.id, 'position', m.position, 'alt', m.alt, 'format', m.format,
                     'width', m.width, 'height', m.height,
                     'renditions', to_jsonb(m.rendition_widths),
                     'variant_ids', coalesce((SELECT jsonb_agg(vm.variant_id ORDER BY vm.variant_id)
                                              FROM variant_media vm WHERE vm.media_id = m.id),
                                             '[]'::jsonb))
                     ORDER BY m.position, m.id), '[]'::jsonb) AS media
          FROM product_media m WHERE m.product_id = product) live
    WHERE p.id = product AND p.media IS DISTINCT FROM live.media;
$$;

CREATE FUNCTION product_media_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM product_media_refresh(OLD.product_id);
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.product_id <> OLD.product_id) THEN
        PERFORM product_media_refresh(NEW.product_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER product_media_changed AFTER INSERT OR UPDATE OR DELETE ON product_media
    FOR EACH ROW EXECUTE FUNCTION product_media_changed();

CREATE FUNCTION variant_media_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    media uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.media_id ELSE NEW.media_id END;
BEGIN
    -- When the photo itself is being deleted its own trigger refreshes.
    PERFORM product_media_refresh(m.product_id) FROM product_media m WHERE m.id = media;
    RETURN NULL;
END;
$$;
CREATE TRIGGER variant_media_changed AFTER INSERT OR DELETE ON variant_media
    FOR EACH ROW EXECUTE FUNCTION variant_media_changed();
