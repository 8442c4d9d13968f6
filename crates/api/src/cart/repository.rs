//! SQL for carts and their lines.

use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::Result;
use crate::media::{self, MediaEntry, Urls};

/// A cart line with the variant and its product as they are now.
#[derive(Debug, Clone)]
pub struct LineRow {
    /// Product id.
    pub product_id: Uuid,
    /// Variant id.
    pub variant_id: Uuid,
    /// The variant's option values by option name.
    pub options: serde_json::Value,
    /// Quantity wanted.
    pub quantity: i32,
    /// Product name now.
    pub name: String,
    /// SKU.
    pub sku: String,
    /// Unit price now, minor units.
    pub price_amount: i64,
    /// Currency.
    pub currency: String,
    /// The product's thumbnail URL, for a product without photos.
    pub thumbnail: Option<String>,
    /// The product's photos.
    pub media: Json<Vec<MediaEntry>>,
    /// Units in stock now.
    pub stock_quantity: i32,
    /// Shipping weight of one unit, if known.
    pub weight_grams: Option<i32>,
    /// Still on sale (variant and product not deleted, active).
    pub on_sale: bool,
}

impl LineRow {
    /// The image of the line's variant: its own photo, else its product's
    /// first, else the product's thumbnail URL.
    pub fn image(&self, urls: Urls<'_>) -> Option<String> {
        match media::for_variant(&self.media, self.variant_id) {
            Some(photo) => Some(urls.card(self.product_id, photo)),
            None => self.thumbnail.clone(),
        }
    }

    /// The product photo [`LineRow::image`] shows, if it is one.
    pub fn photo(&self) -> Option<Uuid> {
        media::for_variant(&self.media, self.variant_id).map(|photo| photo.id)
    }
}

/// A variant as the cart needs it.
#[derive(Debug, Clone, Copy)]
pub struct VariantStock {
    /// Variant id.
    pub id: Uuid,
    /// Units in stock.
    pub stock_quantity: i32,
}

/// The user's cart id, if they have one.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn user_cart(db: impl PgExecutor<'_>, user: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar!("SELECT id FROM carts WHERE user_id = $1", user)
        .fetch_optional(db)
        .await?)
}

/// The guest cart with this token hash, if any.
#[tracing::instrument(skip_all)]
pub async fn guest_cart(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar!("SELECT id FROM carts WHERE token_hash = $1", token_hash)
        .fetch_optional(db)
        .await?)
}

/// The user's cart, created if missing, locked until the transaction ends.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn open_user_cart(db: impl PgExecutor<'_>, user: Uuid) -> Result<Uuid> {
    let id = sqlx::query_scalar!(
        "INSERT INTO carts (id, user_id) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET updated_at = now()
         RETURNING id",
        Uuid::new_v4(),
        user
    )
    .fetch_one(db)
    .await?;
    Ok(id)
}

/// The user's cart, if any, locked until the transaction ends.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn lock_user_cart(db: impl PgExecutor<'_>, user: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar!("SELECT id FROM carts WHERE user_id = $1 FOR UPDATE", user)
        .fetch_optional(db)
        .await?)
}

/// The guest cart with this token hash, locked until the transaction ends.
#[tracing::instrument(skip_all)]
pub async fn lock_guest_cart(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar!(
        "UPDATE carts SET updated_at = now() WHERE token_hash = $1 AND user_id IS NULL RETURNING id",
        token_hash
    )
    .fetch_optional(db)
    .await?)
}

/// Creates a guest cart for a token hash.
#[tracing::instrument(skip_all)]
pub async fn create_guest_cart(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<Uuid> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO carts (id, token_hash) VALUES ($1, $2) RETURNING id",
        Uuid::new_v4(),
        token_hash
    )
    .fetch_one(db)
    .await?)
}

/// What an add-to-cart request names.
#[derive(Debug, Clone, Copy)]
pub enum Item {
    /// A variant, by id.
    Variant(Uuid),
    /// A product, by id: its one variant on sale.
    Product(Uuid),
}

/// The variants on sale that `item` names: the variant, or every variant on
/// sale of the product.
#[tracing::instrument(skip_all, fields(item = ?item))]
pub async fn variants_on_sale(db: impl PgExecutor<'_>, item: Item) -> Result<Vec<VariantStock>> {
    let rows = match item {
        Item::Variant(id) => {
            sqlx::query_as!(
                VariantStock,
                "SELECT v.id, v.stock_quantity
                 FROM product_variants v JOIN products p ON p.id = v.product_id
                 WHERE v.id = $1 AND v.deleted_at IS NULL AND v.is_active
                   AND p.deleted_at IS NULL AND p.is_active",
                id
            )
            .fetch_all(db)
            .await?
        }
        Item::Product(id) => {
            sqlx::query_as!(
                VariantStock,
                "SELECT v.id, v.stock_quantity
                 FROM product_variants v JOIN products p ON p.id = v.product_id
                 WHERE v.product_id = $1 AND v.deleted_at IS NULL AND v.is_active
                   AND p.deleted_at IS NULL AND p.is_active
                 ORDER BY v.position, v.id",
                id
            )
            .fetch_all(db)
            .await?
        }
    };
    Ok(rows)
}

/// The variants of a cart's lines that `id` names: the line's own variant
/// id, or its product's id.
#[tracing::instrument(skip_all, fields(cart = %cart, id = %id))]
pub async fn lines_named(db: impl PgExecutor<'_>, cart: Uuid, id: Uuid) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT i.variant_id FROM cart_items i JOIN product_variants v ON v.id = i.variant_id
         WHERE i.cart_id = $1 AND (v.id = $2 OR v.product_id = $2)
         ORDER BY i.added_at, i.variant_id",
        cart,
        id
    )
    .fetch_all(db)
    .await?)
}

/// The quantity of a variant in a cart (if it has a line) and how many
/// lines the cart has, in one round trip.
#[tracing::instrument(skip_all, fields(cart = %cart, variant = %variant))]
pub async fn line_and_count(
    db: impl PgExecutor<'_>,
    cart: Uuid,
    variant: Uuid,
) -> Result<(Option<i32>, i64)> {
    let row = sqlx::query!(
        r#"SELECT (SELECT quantity FROM cart_items WHERE cart_id = $1 AND variant_id = $2)
                    AS quantity,
                  (SELECT count(*) FROM cart_items WHERE cart_id = $1) AS "lines!""#,
        cart,
        variant
    )
    .fetch_one(db)
    .await?;
    Ok((row.quantity, row.lines))
}

/// Sets a line's quantity, adding the line if missing.
#[tracing::instrument(skip_all, fields(cart = %cart, variant = %variant))]
pub async fn put_line(
    db: impl PgExecutor<'_>,
    cart: Uuid,
    variant: Uuid,
    quantity: i32,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES ($1, $2, $3)
         ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = EXCLUDED.quantity",
        cart,
        variant,
        quantity
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Removes a line; whether it existed.
#[tracing::instrument(skip_all, fields(cart = %cart, variant = %variant))]
pub async fn delete_line(db: impl PgExecutor<'_>, cart: Uuid, variant: Uuid) -> Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM cart_items WHERE cart_id = $1 AND variant_id = $2",
        cart,
        variant
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A cart's lines with current product data, in the order they were added.
/// The options are aggregated inline: through the `variant_options` SQL
/// function they would be planned again on every call.
#[tracing::instrument(skip_all, fields(cart = %cart))]
pub async fn lines(db: impl PgExecutor<'_>, cart: Uuid) -> Result<Vec<LineRow>> {
    Ok(sqlx::query_as!(
        LineRow,
        r#"SELECT v.product_id, i.variant_id,
                  COALESCE((SELECT jsonb_object_agg(o.name, v.option_values[o.position + 1])
                                       FILTER (WHERE v.option_values[o.position + 1] IS NOT NULL)
                            FROM product_options o WHERE o.product_id = v.product_id), '{}')
                      AS "options!",
                  i.quantity, p.name, v.sku, v.price_amount, p.currency,
                  p.thumbnail, p.media AS "media: Json<Vec<MediaEntry>>", v.stock_quantity, v.weight_grams,
                  (v.deleted_at IS NULL AND v.is_active AND p.deleted_at IS NULL AND p.is_active)
                      AS "on_sale!"
           FROM cart_items i
           JOIN product_variants v ON v.id = i.variant_id
           JOIN products p ON p.id = v.product_id
           WHERE i.cart_id = $1
           ORDER BY i.added_at, i.variant_id"#,
        cart
    )
    .fetch_all(db)
    .await?)
}

/// Moves a guest cart's lines into the user's (locked) cart: quantities of
/// variants in both are summed, everything is capped at the stock and at 99,
/// variants no longer on sale or out of stock are dropped, new lines stop at
/// the cart's line limit (oldest guest lines first), and the guest cart is
/// deleted.
#[tracing::instrument(skip_all, fields(guest_cart = %guest, cart = %user_cart))]
pub async fn merge(
    db: &mut PgConnection,
    guest: Uuid,
    user_cart: Uuid,
    max_lines: i64,
) -> Result<()> {
    sqlx::query!(
        "UPDATE cart_items u SET quantity = LEAST(u.quantity + g.quantity, 99, v.stock_quantity)
         FROM cart_items g
         JOIN product_variants v ON v.id = g.variant_id
         JOIN products p ON p.id = v.product_id
         WHERE u.cart_id = $2 AND g.cart_id = $1 AND g.variant_id = u.variant_id
           AND v.deleted_at IS NULL AND v.is_active AND v.stock_quantity > 0
           AND p.deleted_at IS NULL AND p.is_active",
        guest,
        user_cart
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "INSERT INTO cart_items (cart_id, variant_id, quantity)
         SELECT $2, g.variant_id, LEAST(g.quantity, 99, v.stock_quantity)
         FROM cart_items g
         JOIN product_variants v ON v.id = g.variant_id
         JOIN products p ON p.id = v.product_id
         WHERE g.cart_id = $1
           AND v.deleted_at IS NULL AND v.is_active AND v.stock_quantity > 0
           AND p.deleted_at IS NULL AND p.is_active
           AND NOT EXISTS (SELECT 1 FROM cart_items u WHERE u.cart_id = $2 AND u.variant_id = g.variant_id)
         ORDER BY g.added_at, g.variant_id
         LIMIT GREATEST(0, $3 - (SELECT count(*) FROM cart_items WHERE cart_id = $2))",
        guest,
        user_cart,
        max_lines
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!("DELETE FROM carts WHERE id = $1", guest).execute(&mut *db).await?;
    Ok(())
}

/// Empties a cart: its lines and its discount codes.
#[tracing::instrument(skip_all, fields(cart = %cart))]
pub async fn clear(db: impl PgExecutor<'_>, cart: Uuid) -> Result<()> {
    sqlx::query!(
        "WITH codes AS (DELETE FROM cart_discount_codes WHERE cart_id = $1)
         DELETE FROM cart_items WHERE cart_id = $1",
        cart
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes guest carts untouched for `idle_secs`; how many went.
#[tracing::instrument(skip_all)]
pub async fn delete_idle_guest_carts(db: impl PgExecutor<'_>, idle_secs: f64) -> Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM carts WHERE user_id IS NULL AND updated_at < now() - make_interval(secs => $1)",
        idle_secs
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
