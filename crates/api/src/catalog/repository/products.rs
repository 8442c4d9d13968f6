//! SQL for products: rows, admin changes and stock.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Error, Result};

/// A stored product.
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
    /// SKU.
    pub sku: String,
    /// Price in minor units.
    pub price_amount: i64,
    /// ISO 4217 code, lower-case.
    pub currency: String,
    /// Units available.
    pub stock_quantity: i32,
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
}

/// Every stored field of a product, as written by create and update.
#[derive(Debug, Clone)]
pub struct ProductFields {
    /// Category.
    pub category_id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Brand.
    pub brand: String,
    /// SKU.
    pub sku: String,
    /// Price in minor units.
    pub price_amount: i64,
    /// Currency code.
    pub currency: String,
    /// Units available.
    pub stock_quantity: i32,
    /// Image URLs.
    pub images: Vec<String>,
    /// Thumbnail URL.
    pub thumbnail: Option<String>,
    /// Attributes object.
    pub attributes: serde_json::Value,
    /// Warranty text.
    pub warranty: Option<String>,
    /// Offered to shoppers.
    pub is_active: bool,
}

impl From<ProductRow> for ProductFields {
    fn from(row: ProductRow) -> Self {
        ProductFields {
            category_id: row.category_id.unwrap_or_default(),
            name: row.name,
            description: row.description,
            brand: row.brand,
            sku: row.sku,
            price_amount: row.price_amount,
            currency: row.currency,
            stock_quantity: row.stock_quantity,
            images: row.images,
            thumbnail: row.thumbnail,
            attributes: row.attributes,
            warranty: row.warranty,
            is_active: row.is_active,
        }
    }
}

pub(super) const PRODUCT_COLUMNS: &str = "id, category_id, name, description, brand, sku, price_amount, \
    currency, stock_quantity, images, thumbnail, attributes, warranty, is_active, created_at, updated_at";

/// A product shoppers can see.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn visible_product(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ProductRow>> {
    let row = sqlx::query_as!(
        ProductRow,
        "SELECT id, category_id, name, description, brand, sku, price_amount, currency, stock_quantity,
                images, thumbnail, attributes, warranty, is_active, created_at, updated_at
         FROM products WHERE id = $1 AND deleted_at IS NULL AND is_active",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// A product that is not deleted (admins see inactive ones), locked.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn lock_product(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ProductRow>> {
    let row = sqlx::query_as!(
        ProductRow,
        "SELECT id, category_id, name, description, brand, sku, price_amount, currency, stock_quantity,
                images, thumbnail, attributes, warranty, is_active, created_at, updated_at
         FROM products WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

fn product_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) => match db.constraint() {
            Some("products_sku_key") => {
                Error::conflict("sku_taken", "another product has this SKU (SKUs are never reused)")
            }
            Some("products_category_id_fkey") => Error::invalid("category_id", "no such category"),
            _ => Error::Database(err),
        },
        _ => Error::Database(err),
    }
}

/// Creates a product.
#[tracing::instrument(skip_all)]
pub async fn insert_product(db: impl PgExecutor<'_>, p: &ProductFields) -> Result<ProductRow> {
    sqlx::query_as!(
        ProductRow,
        "INSERT INTO products (id, category_id, name, description, brand, sku, price_amount, currency,
                               stock_quantity, images, thumbnail, attributes, warranty, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING id, category_id, name, description, brand, sku, price_amount, currency, stock_quantity,
                   images, thumbnail, attributes, warranty, is_active, created_at, updated_at",
        Uuid::now_v7(),
        p.category_id,
        p.name,
        p.description,
        p.brand,
        p.sku,
        p.price_amount,
        p.currency,
        p.stock_quantity,
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

/// Replaces a product's fields.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn update_product(
    db: impl PgExecutor<'_>,
    id: Uuid,
    p: &ProductFields,
) -> Result<ProductRow> {
    sqlx::query_as!(
        ProductRow,
        "UPDATE products SET category_id = $2, name = $3, description = $4, brand = $5, sku = $6,
                price_amount = $7, currency = $8, stock_quantity = $9, images = $10, thumbnail = $11,
                attributes = $12, warranty = $13, is_active = $14
         WHERE id = $1 AND deleted_at IS NULL
         RETURNING id, category_id, name, description, brand, sku, price_amount, currency, stock_quantity,
                   images, thumbnail, attributes, warranty, is_active, created_at, updated_at",
        id,
        p.category_id,
        p.name,
        p.description,
        p.brand,
        p.sku,
        p.price_amount,
        p.currency,
        p.stock_quantity,
        &p.images,
        p.thumbnail,
        p.attributes,
        p.warranty,
        p.is_active
    )
    .fetch_optional(db)
    .await
    .map_err(product_conflict)?
    .ok_or(Error::NotFound("product"))
}

/// Hides a product from shoppers for good, keeping it for order history.
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
        sqlx::Error::Database(db) if db.constraint() == Some("products_stock_quantity_check") => {
            Error::conflict("insufficient_stock", "stock cannot go below zero")
        }
        // numeric_value_out_of_range: the count would not fit.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("22003") => {
            Error::conflict("stock_out_of_range", "stock cannot grow that large")
        }
        _ => Error::Database(err),
    }
}

/// Adds `delta` (possibly negative) to the stock in one statement; going
/// below zero is refused by the database and reported as a 409.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn add_stock(
    db: impl PgExecutor<'_>,
    id: Uuid,
    delta: i32,
) -> Result<Option<ProductRow>> {
    sqlx::query_as!(
        ProductRow,
        "UPDATE products SET stock_quantity = stock_quantity + $2 WHERE id = $1 AND deleted_at IS NULL
         RETURNING id, category_id, name, description, brand, sku, price_amount, currency, stock_quantity,
                   images, thumbnail, attributes, warranty, is_active, created_at, updated_at",
        id,
        delta
    )
    .fetch_optional(db)
    .await
    .map_err(stock_conflict)
}

/// Sets the stock to `quantity`.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn set_stock(
    db: impl PgExecutor<'_>,
    id: Uuid,
    quantity: i32,
) -> Result<Option<ProductRow>> {
    sqlx::query_as!(
        ProductRow,
        "UPDATE products SET stock_quantity = $2 WHERE id = $1 AND deleted_at IS NULL
         RETURNING id, category_id, name, description, brand, sku, price_amount, currency, stock_quantity,
                   images, thumbnail, attributes, warranty, is_active, created_at, updated_at",
        id,
        quantity
    )
    .fetch_optional(db)
    .await
    .map_err(stock_conflict)
}
