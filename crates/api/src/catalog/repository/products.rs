//! SQL for products: rows, admin changes and stock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gokart_domain::{Options, ProductOption};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::media::MediaEntry;

/// A stored product: what it is and how it is shown. What is sold, with
/// its SKU, price and stock, is its variants ([`VariantRow`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    /// Id.
    pub id: Uuid,
    /// Category (only deleted products may have none).
    pub category_id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Brand.
    pub brand: String,
    /// ISO 4217 code, lower-case; every variant is priced in it.
    pub currency: String,
    /// Image URLs.
    pub images: Vec<String>,
    /// Thumbnail URL.
    pub thumbnail: Option<String>,
    /// Dimensions and other attributes.
    pub attributes: serde_json::Value,
    /// Warranty text.
    pub warranty: Option<String>,
    /// Offered to shoppers.
    pub is_active: bool,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
    /// Its photos in order (a copy the database keeps; see [`crate::media`]).
    pub media: Json<Vec<MediaEntry>>,
}

impl ProductRow {
    /// A new product `id` with nothing filled in yet (its timestamps are
    /// placeholders: the database stamps the row).
    pub fn blank(id: Uuid) -> Self {
        let now = Utc::now();
        ProductRow {
            id,
            category_id: None,
            name: String::new(),
            description: String::new(),
            brand: String::new(),
            currency: "usd".to_owned(),
            images: Vec::new(),
            thumbnail: None,
            attributes: serde_json::json!({}),
            warranty: None,
            is_active: true,
            created_at: now,
            updated_at: now,
            media: Json(Vec::new()),
        }
    }
}

/// A stored variant: one buyable combination of a product's options.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantRow {
    /// Id.
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// SKU, unique for good.
    pub sku: String,
    /// One value per option, in the options' order.
    pub option_values: Vec<String>,
    /// Price in minor units of the product's currency.
    pub price_amount: i64,
    /// The price it was, shown struck through.
    pub compare_at_amount: Option<i64>,
    /// Units available.
    pub stock_quantity: i32,
    /// Shipping weight.
    pub weight_grams: Option<i32>,
    /// For sale (when its product is).
    pub is_active: bool,
    /// Where it is listed among its product's variants.
    pub position: i32,
}

/// A stored option of a product.
#[derive(Debug, Clone)]
pub struct OptionRow {
    /// Id.
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Name, e.g. `Size`.
    pub name: String,
    /// Values, in order.
    pub values: Vec<String>,
}

/// A product with its options and live variants, each in order.
#[derive(Debug, Clone)]
pub struct Product {
    /// The product.
    pub row: ProductRow,
    /// Its options.
    pub options: Vec<OptionRow>,
    /// Its variants that are not deleted.
    pub variants: Vec<VariantRow>,
}

impl Product {
    /// The options as the domain checks combinations against them.
    pub fn option_set(&self) -> Options {
        Options::from_stored(
            self.options
                .iter()
                .map(|o| ProductOption { name: o.name.clone(), values: o.values.clone() })
                .collect(),
        )
    }
}

pub(super) const PRODUCT_COLUMNS: &str = "id, category_id, name, description, brand, currency, \
    images, thumbnail, attributes, warranty, is_active, created_at, updated_at, media";

/// A product that is not deleted (admins see inactive ones), locked: every
/// admin change to a product or its variants takes this lock first. `NO
/// KEY UPDATE` leaves orders free to reference the product meanwhile, so
/// checkout never waits for an admin.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn lock_product(db: &mut PgConnection, id: Uuid) -> Result<Option<Product>> {
    let row = sqlx::query_as!(
        ProductRow,
        r#"SELECT id, category_id, name, description, brand, currency, images, thumbnail,
                attributes, warranty, is_active, created_at, updated_at,
                media AS "media: Json<Vec<MediaEntry>>"
         FROM products WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE"#,
        id
    )
    .fetch_optional(&mut *db)
    .await?;
    with_variants(db, row).await
}

/// Takes the lock of [`lock_product`] without reading the product; `None`
/// when there is no such product (or it is deleted).
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn lock_row(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM products WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE",
        id
    )
    .fetch_optional(db)
    .await?)
}

/// Whether a product exists and is not deleted.
pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM products WHERE id = $1 AND deleted_at IS NULL) AS "e!""#,
        id
    )
    .fetch_one(db)
    .await?)
}

/// A product's photos, in order.
pub async fn media_of(db: impl PgExecutor<'_>, id: Uuid) -> Result<Vec<MediaEntry>> {
    let media = sqlx::query_scalar!(
        r#"SELECT media AS "media: Json<Vec<MediaEntry>>" FROM products WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(media.map(|Json(list)| list).unwrap_or_default())
}

/// The products `ids` that are not deleted, locked in id order as
/// [`lock_product`] locks one, with their options and variants (locked
/// too, in id order as checkout locks them, so that stock read here is
/// still the stock when the caller writes); and which of `ids` are deleted
/// products.
#[tracing::instrument(skip_all)]
pub async fn lock_products(
    db: &mut PgConnection,
    ids: &[Uuid],
) -> Result<(Vec<Product>, Vec<Uuid>)> {
    let rows = sqlx::query!(
        r#"SELECT id, category_id, name, description, brand, currency, images, thumbnail,
                attributes, warranty, is_active, created_at, updated_at,
                media AS "media: Json<Vec<MediaEntry>>", deleted_at IS NOT NULL AS "deleted!"
         FROM products WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE"#,
        ids
    )
    .fetch_all(&mut *db)
    .await?;
    let mut deleted = Vec::new();
    let mut live = Vec::with_capacity(rows.len());
    for row in rows {
        if row.deleted {
            deleted.push(row.id);
            continue;
        }
        live.push(ProductRow {
            id: row.id,
            category_id: row.category_id,
            name: row.name,
            description: row.description,
            brand: row.brand,
            currency: row.currency,
            images: row.images,
            thumbnail: row.thumbnail,
            attributes: row.attributes,
            warranty: row.warranty,
            is_active: row.is_active,
            created_at: row.created_at,
            updated_at: row.updated_at,
            media: row.media,
        });
    }
    let ids: Vec<Uuid> = live.iter().map(|row| row.id).collect();
    sqlx::query!(
        "SELECT 1 AS locked FROM product_variants WHERE product_id = ANY($1) ORDER BY id
         FOR NO KEY UPDATE",
        &ids
    )
    .fetch_all(&mut *db)
    .await?;
    Ok((complete(db, live).await?, deleted))
}

async fn with_variants(db: &mut PgConnection, row: Option<ProductRow>) -> Result<Option<Product>> {
    let Some(row) = row else { return Ok(None) };
    Ok(complete(db, vec![row]).await?.pop())
}

/// The variants (not deleted) of `products`, by product, then as listed.
#[tracing::instrument(skip_all)]
pub async fn variants_of(db: impl PgExecutor<'_>, products: &[Uuid]) -> Result<Vec<VariantRow>> {
    Ok(sqlx::query_as!(
        VariantRow,
        "SELECT id, product_id, sku, option_values, price_amount, compare_at_amount, stock_quantity,
                weight_grams, is_active, position
         FROM product_variants
         WHERE product_id = ANY($1) AND deleted_at IS NULL
         ORDER BY product_id, position, id",
        products
    )
    .fetch_all(db)
    .await?)
}

/// The options of `products`, by product, then in order.
#[tracing::instrument(skip_all)]
pub async fn options_of(db: impl PgExecutor<'_>, products: &[Uuid]) -> Result<Vec<OptionRow>> {
    Ok(sqlx::query_as!(
        OptionRow,
        r#"SELECT id, product_id, name, "values" AS values
           FROM product_options WHERE product_id = ANY($1)
           ORDER BY product_id, position"#,
        products
    )
    .fetch_all(db)
    .await?)
}

/// Gives each of `rows` its options and variants.
pub async fn complete(db: &mut PgConnection, rows: Vec<ProductRow>) -> Result<Vec<Product>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut variants: HashMap<Uuid, Vec<VariantRow>> = HashMap::new();
    for variant in variants_of(&mut *db, &ids).await? {
        variants.entry(variant.product_id).or_default().push(variant);
    }
    // Only a product whose variants pick values has options: a page of
    // simple products skips the query.
    let with_options: Vec<Uuid> = variants
        .iter()
        .filter(|(_, list)| list.iter().any(|v| !v.option_values.is_empty()))
        .map(|(id, _)| *id)
        .collect();
    let mut options: HashMap<Uuid, Vec<OptionRow>> = HashMap::new();
    if !with_options.is_empty() {
        for option in options_of(&mut *db, &with_options).await? {
            options.entry(option.product_id).or_default().push(option);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| Product {
            options: options.remove(&row.id).unwrap_or_default(),
            variants: variants.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// Replaces a product's options with `options` (in order); an option keeps
/// its id when given one.
#[tracing::instrument(skip_all, fields(product = %product))]
pub async fn replace_options(
    db: &mut PgConnection,
    product: Uuid,
    options: &[(Option<Uuid>, ProductOption)],
) -> Result<()> {
    sqlx::query!("DELETE FROM product_options WHERE product_id = $1", product)
        .execute(&mut *db)
        .await?;
    for (position, (id, option)) in (0_i16..).zip(options) {
        sqlx::query!(
            r#"INSERT INTO product_options (id, product_id, position, name, "values")
               VALUES ($1, $2, $3, $4, $5)"#,
            id.unwrap_or_else(Uuid::now_v7),
            product,
            position,
            option.name,
            &option.values
        )
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

fn product_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) => match db.constraint() {
            Some("product_variants_sku_key") => {
                Error::conflict("sku_taken", "another product has this SKU (SKUs are never reused)")
            }
            Some("product_variants_combination") => Error::conflict(
                "variant_exists",
                "another variant of this product has these option values",
            ),
            Some("products_category_id_fkey") => Error::invalid("category_id", "no such category"),
            _ => Error::Database(err),
        },
        _ => Error::Database(err),
    }
}

/// Creates a product from everything but its timestamps; its id.
#[tracing::instrument(skip_all, fields(product = %p.id))]
pub async fn insert_product(db: impl PgExecutor<'_>, p: &ProductRow) -> Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO products (id, category_id, name, description, brand, currency, images,
                               thumbnail, attributes, warranty, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING id",
        p.id,
        p.category_id,
        p.name,
        p.description,
        p.brand,
        p.currency,
        &p.images,
        p.thumbnail,
        p.attributes,
        p.warranty,
        p.is_active
    )
    .fetch_one(db)
    .await
    .map_err(product_conflict)
}

/// Replaces a product's own fields (all but its id and timestamps).
#[tracing::instrument(skip_all, fields(product = %p.id))]
pub async fn update_product(db: impl PgExecutor<'_>, p: &ProductRow) -> Result<()> {
    let done = sqlx::query!(
        "UPDATE products SET category_id = $2, name = $3, description = $4, brand = $5,
                currency = $6, images = $7, thumbnail = $8, attributes = $9, warranty = $10,
                is_active = $11
         WHERE id = $1 AND deleted_at IS NULL",
        p.id,
        p.category_id,
        p.name,
        p.description,
        p.brand,
        p.currency,
        &p.images,
        p.thumbnail,
        p.attributes,
        p.warranty,
        p.is_active
    )
    .execute(db)
    .await
    .map_err(product_conflict)?;
    if done.rows_affected() == 1 { Ok(()) } else { Err(Error::NotFound("product")) }
}

/// Adds variant `v` (all but its position) to `product`, listed after the
/// others; its id.
#[tracing::instrument(skip_all, fields(product = %product))]
pub async fn insert_variant(
    db: impl PgExecutor<'_>,
    product: Uuid,
    v: &VariantRow,
) -> Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO product_variants (id, product_id, sku, option_values, price_amount,
                                       compare_at_amount, stock_quantity, weight_grams, is_active,
                                       position)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9,
                coalesce((SELECT max(position) + 1 FROM product_variants WHERE product_id = $2), 0)
         RETURNING id",
        v.id,
        product,
        v.sku,
        &v.option_values,
        v.price_amount,
        v.compare_at_amount,
        v.stock_quantity,
        v.weight_grams,
        v.is_active
    )
    .fetch_one(db)
    .await
    .map_err(product_conflict)
}

/// Replaces a variant's fields but its product, position and stock: stock
/// moves only by [`add_stock`] and [`set_stock`], each one statement, so a
/// copy read earlier never overwrites units a cancelled order put back.
#[tracing::instrument(skip_all, fields(variant = %v.id))]
pub async fn update_variant(db: impl PgExecutor<'_>, v: &VariantRow) -> Result<()> {
    sqlx::query!(
        "UPDATE product_variants SET sku = $2, option_values = $3, price_amount = $4,
                compare_at_amount = $5, weight_grams = $6, is_active = $7
         WHERE id = $1 AND deleted_at IS NULL",
        v.id,
        v.sku,
        &v.option_values,
        v.price_amount,
        v.compare_at_amount,
        v.weight_grams,
        v.is_active
    )
    .execute(db)
    .await
    .map_err(product_conflict)?;
    Ok(())
}

/// Gives each of `variants` option values no other variant can have (its
/// own id), ahead of giving them their new ones.
#[tracing::instrument(skip_all)]
pub async fn park_option_values(db: impl PgExecutor<'_>, variants: &[Uuid]) -> Result<()> {
    sqlx::query!(
        "UPDATE product_variants SET option_values = ARRAY['parked:' || id::text]
         WHERE id = ANY($1)",
        variants
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The product of a variant that is not deleted.
#[tracing::instrument(skip_all, fields(variant = %id))]
pub async fn variant_product(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT v.product_id FROM product_variants v JOIN products p ON p.id = v.product_id
         WHERE v.id = $1 AND v.deleted_at IS NULL AND p.deleted_at IS NULL",
        id
    )
    .fetch_optional(db)
    .await?)
}

/// Deletes a variant for shoppers for good, keeping it for order history.
#[tracing::instrument(skip_all, fields(variant = %id))]
pub async fn soft_delete_variant(db: impl PgExecutor<'_>, id: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE product_variants SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Hides a product from shoppers for good, keeping it and its variants for
/// order history.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn soft_delete_product(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE products SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL",
        id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn stock_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db)
            if db.constraint() == Some("product_variants_stock_quantity_check") =>
        {
            Error::conflict("insufficient_stock", "stock cannot go below zero")
        }
        // numeric_value_out_of_range: the count would not fit.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("22003") => {
            Error::conflict("stock_out_of_range", "stock cannot grow that large")
        }
        _ => Error::Database(err),
    }
}

/// Adds `delta` (possibly negative) to a variant's stock in one statement;
/// going below zero is refused by the database and reported as a 409.
#[tracing::instrument(skip_all, fields(variant = %id))]
pub async fn add_stock(db: impl PgExecutor<'_>, id: Uuid, delta: i32) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE product_variants SET stock_quantity = stock_quantity + $2
         WHERE id = $1 AND deleted_at IS NULL",
        id,
        delta
    )
    .execute(db)
    .await
    .map_err(stock_conflict)?;
    Ok(done.rows_affected() == 1)
}

/// Sets a variant's stock to `quantity`.
#[tracing::instrument(skip_all, fields(variant = %id))]
pub async fn set_stock(db: impl PgExecutor<'_>, id: Uuid, quantity: i32) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE product_variants SET stock_quantity = $2 WHERE id = $1 AND deleted_at IS NULL",
        id,
        quantity
    )
    .execute(db)
    .await
    .map_err(stock_conflict)?;
    Ok(done.rows_affected() == 1)
}

/// A variant on sale that is running out.
#[derive(Debug, Clone)]
pub struct LowStockRow {
    /// The variant.
    pub variant_id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// The product's name.
    pub product_name: String,
    /// The variant's SKU.
    pub sku: String,
    /// Its value of each option, by option name (a JSON object).
    pub options: serde_json::Value,
    /// Units left.
    pub stock_quantity: i32,
}

/// Variants on sale (of products on sale) with `threshold` units or fewer,
/// fewest first, a page at a time, and how many there are.
#[tracing::instrument(skip_all)]
pub async fn low_stock(
    db: &mut PgConnection,
    threshold: i32,
    limit: i64,
    offset: i64,
) -> Result<(Vec<LowStockRow>, i64)> {
    let rows = sqlx::query_as!(
        LowStockRow,
        r#"SELECT v.id AS variant_id, v.product_id, p.name AS product_name, v.sku,
                  v.stock_quantity,
                  COALESCE((SELECT jsonb_object_agg(o.name, v.option_values[o.position + 1])
                            FROM product_options o
                            WHERE o.product_id = v.product_id
                              AND o.position < cardinality(v.option_values)), '{}')
                    AS "options!"
           FROM product_variants v JOIN products p ON p.id = v.product_id
           WHERE v.stock_quantity <= $1 AND v.is_active AND v.deleted_at IS NULL
             AND p.is_active AND p.deleted_at IS NULL
           ORDER BY v.stock_quantity, p.name, v.sku
           LIMIT $2 OFFSET $3"#,
        threshold,
        limit,
        offset
    )
    .fetch_all(&mut *db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!"
           FROM product_variants v JOIN products p ON p.id = v.product_id
           WHERE v.stock_quantity <= $1 AND v.is_active AND v.deleted_at IS NULL
             AND p.is_active AND p.deleted_at IS NULL"#,
        threshold
    )
    .fetch_one(&mut *db)
    .await?;
    Ok((rows, total))
}
