//! SQL for product media. Writing `product_media` or `variant_media`
//! refreshes the product's `media` copy (a trigger).

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::Result;

/// A stored photo.
#[derive(Debug, Clone)]
pub struct MediaRow {
    /// Id.
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Format of the original.
    pub format: String,
    /// Widths of its renditions.
    pub rendition_widths: Vec<i32>,
}

/// What a new photo is stored as.
#[derive(Debug, Clone)]
pub struct NewMedia<'a> {
    /// Id (its keys are derived from it).
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Text alternative.
    pub alt: &'a str,
    /// Format of the original.
    pub format: &'a str,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Widths of its renditions.
    pub rendition_widths: &'a [i32],
}

/// How many photos `product` has.
pub async fn count(db: impl PgExecutor<'_>, product: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM product_media WHERE product_id = $1"#,
        product
    )
    .fetch_one(db)
    .await?)
}

/// Adds a photo after the product's others.
#[tracing::instrument(skip_all, fields(media = %media.id))]
pub async fn insert(db: impl PgExecutor<'_>, media: &NewMedia<'_>) -> Result<()> {
    sqlx::query!(
        "INSERT INTO product_media (id, product_id, position, alt, format, width, height,
                                    rendition_widths)
         VALUES ($1, $2,
                 (SELECT coalesce(max(position) + 1, 0) FROM product_media WHERE product_id = $2),
                 $3, $4, $5, $6, $7)",
        media.id,
        media.product_id,
        media.alt,
        media.format,
        media.width,
        media.height,
        media.rendition_widths
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A photo whose product is not deleted.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<MediaRow>> {
    Ok(sqlx::query_as!(
        MediaRow,
        "SELECT m.id, m.product_id, m.format, m.rendition_widths
         FROM product_media m JOIN products p ON p.id = m.product_id
         WHERE m.id = $1 AND p.deleted_at IS NULL",
        id
    )
    .fetch_optional(db)
    .await?)
}

/// The ids of `product`'s photos, in order.
pub async fn ordered(db: impl PgExecutor<'_>, product: Uuid) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM product_media WHERE product_id = $1 ORDER BY position, id",
        product
    )
    .fetch_all(db)
    .await?)
}

/// Numbers `ids` (all of one product's photos) 0, 1, 2... in that order.
pub async fn renumber(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<()> {
    sqlx::query!(
        "UPDATE product_media m SET position = o.ordinality - 1
         FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, ordinality)
         WHERE m.id = o.id AND m.position <> o.ordinality - 1",
        ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Sets a photo's text alternative.
pub async fn set_alt(db: impl PgExecutor<'_>, id: Uuid, alt: &str) -> Result<()> {
    sqlx::query!("UPDATE product_media SET alt = $2 WHERE id = $1 AND alt <> $2", id, alt)
        .execute(db)
        .await?;
    Ok(())
}

/// The live variants of `product` among `variants`.
pub async fn variants_of_product(
    db: impl PgExecutor<'_>,
    product: Uuid,
    variants: &[Uuid],
) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM product_variants
         WHERE product_id = $1 AND id = ANY($2) AND deleted_at IS NULL",
        product,
        variants
    )
    .fetch_all(db)
    .await?)
}

/// Attaches a photo to exactly `variants`.
pub async fn set_variants(db: &mut PgConnection, id: Uuid, variants: &[Uuid]) -> Result<()> {
    sqlx::query!(
        "DELETE FROM variant_media WHERE media_id = $1 AND NOT (variant_id = ANY($2))",
        id,
        variants
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "INSERT INTO variant_media (media_id, variant_id)
         SELECT $1, v FROM unnest($2::uuid[]) AS v
         ON CONFLICT DO NOTHING",
        id,
        variants
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Deletes a photo (and its variant links).
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM product_media WHERE id = $1", id).execute(db).await?;
    Ok(())
}

/// Whether an order item shows photo `id`.
pub async fn shown_in_orders(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM order_items WHERE media_id = $1) AS "shown!""#,
        id
    )
    .fetch_one(db)
    .await?)
}
