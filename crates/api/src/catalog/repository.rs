//! SQL for categories and products. Every query is checked at compile time
//! except the product list, whose filters vary: it is built in one place
//! ([`list`] and [`count`] share [`filtered`]) with bound parameters only.

use chrono::{DateTime, Utc};
use gokart_domain::{ProductSort, SearchTerms};
use sqlx::{PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::error::{Error, Result};

/// A category with the number of products shoppers can see in it.
#[derive(Debug, Clone)]
pub struct CategoryRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Description.
    pub description: String,
    /// Live products in it.
    pub product_count: i64,
}

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

const PRODUCT_COLUMNS: &str = "id, category_id, name, description, brand, sku, price_amount, \
    currency, stock_quantity, images, thumbnail, attributes, warranty, is_active, created_at, updated_at";

/// Live categories with their live product counts, by name.
pub async fn categories(db: impl PgExecutor<'_>) -> Result<Vec<CategoryRow>> {
    let rows = sqlx::query_as!(
        CategoryRow,
        r#"SELECT c.id, c.name, c.slug, c.description,
                  count(p.id) AS "product_count!"
           FROM categories c
           LEFT JOIN products p ON p.category_id = c.id AND p.deleted_at IS NULL AND p.is_active
           GROUP BY c.id
           ORDER BY c.name, c.id"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// The category named by `key`: its id, slug, or name in any case.
pub async fn resolve_category(db: impl PgExecutor<'_>, key: &str) -> Result<Option<Uuid>> {
    let as_id = Uuid::parse_str(key).ok();
    let id = sqlx::query_scalar!(
        "SELECT id FROM categories WHERE id = $1 OR slug = $2 OR lower(name) = lower($2) LIMIT 1",
        as_id,
        key
    )
    .fetch_optional(db)
    .await?;
    Ok(id)
}

fn category_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) => match db.constraint() {
            Some("categories_slug_key") => {
                Error::conflict("slug_taken", "another category has this slug")
            }
            Some("categories_name_key") => {
                Error::conflict("name_taken", "another category has this name")
            }
            _ => Error::Database(err),
        },
        _ => Error::Database(err),
    }
}

/// Creates a category.
pub async fn insert_category(
    db: impl PgExecutor<'_>,
    name: &str,
    slug: &str,
    description: &str,
) -> Result<CategoryRow> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"INSERT INTO categories (id, name, slug, description) VALUES ($1, $2, $3, $4)
           RETURNING id, name, slug, description, 0::bigint AS "product_count!""#,
        Uuid::now_v7(),
        name,
        slug,
        description
    )
    .fetch_one(db)
    .await
    .map_err(category_conflict)?;
    Ok(row)
}

/// Changes a category.
pub async fn update_category(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: &str,
    slug: &str,
    description: &str,
) -> Result<CategoryRow> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"UPDATE categories SET name = $2, slug = $3, description = $4 WHERE id = $1
           RETURNING id, name, slug, description,
               (SELECT count(*) FROM products p
                WHERE p.category_id = $1 AND p.deleted_at IS NULL AND p.is_active) AS "product_count!""#,
        id,
        name,
        slug,
        description
    )
    .fetch_optional(db)
    .await
    .map_err(category_conflict)?;
    row.ok_or(Error::NotFound("category"))
}

/// A category, locked until the transaction ends.
pub async fn lock_category(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<CategoryRow>> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"SELECT id, name, slug, description, 0::bigint AS "product_count!"
           FROM categories WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Products not deleted in a category (active or not).
pub async fn products_in_category(db: impl PgExecutor<'_>, id: Uuid) -> Result<i64> {
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM products WHERE category_id = $1 AND deleted_at IS NULL"#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(count)
}

/// Deletes a category, detaching deleted products that still pointed at it.
pub async fn delete_category(db: &mut sqlx::PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE products SET category_id = NULL WHERE category_id = $1 AND deleted_at IS NOT NULL",
        id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!("DELETE FROM categories WHERE id = $1", id).execute(&mut *db).await?;
    Ok(())
}

/// A product shoppers can see.
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
        _ => Error::Database(err),
    }
}

/// Adds `delta` (possibly negative) to the stock in one statement; going
/// below zero is refused by the database and reported as a 409.
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

/// How `q` is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Full-text search with prefix matching.
    FullText,
    /// Trigram word similarity, for typos.
    Fuzzy,
}

/// A product list request with the category resolved to an id.
#[derive(Debug, Clone)]
pub struct ListFilter<'a> {
    /// Search terms and how to match them.
    pub search: Option<(&'a SearchTerms, Matching)>,
    /// Category id.
    pub category_id: Option<Uuid>,
    /// Lowest price, inclusive.
    pub min_price: Option<i64>,
    /// Highest price, inclusive.
    pub max_price: Option<i64>,
    /// `true`: in stock; `false`: out of stock.
    pub in_stock: Option<bool>,
}

/// `[prefix] SELECT <what> FROM products WHERE <visible and filters>`, with
/// every value bound.
fn filtered<'a>(prefix: &str, what: &str, filter: &ListFilter<'a>) -> QueryBuilder<'a, Postgres> {
    let mut query = QueryBuilder::new(format!(
        "{prefix}SELECT {what} FROM products WHERE deleted_at IS NULL AND is_active"
    ));
    match filter.search {
        Some((terms, Matching::FullText)) => {
            query.push(" AND search_vector @@ to_tsquery('english', ");
            query.push_bind(terms.prefix_query.as_str()).push(")");
        }
        Some((terms, Matching::Fuzzy)) => {
            query.push(" AND ").push_bind(terms.text.as_str()).push(" <% name");
        }
        None => {}
    }
    if let Some(category) = filter.category_id {
        query.push(" AND category_id = ").push_bind(category);
    }
    if let Some(min) = filter.min_price {
        query.push(" AND price_amount >= ").push_bind(min);
    }
    if let Some(max) = filter.max_price {
        query.push(" AND price_amount <= ").push_bind(max);
    }
    match filter.in_stock {
        Some(true) => query.push(" AND stock_quantity > 0"),
        Some(false) => query.push(" AND stock_quantity = 0"),
        None => &mut query,
    };
    query
}

/// The list query for one page, after `prefix` (`EXPLAIN ` or nothing).
fn page_query<'a>(
    prefix: &str,
    filter: &ListFilter<'a>,
    sort: ProductSort,
    limit: i64,
    offset: i64,
) -> QueryBuilder<'a, Postgres> {
    let mut query = filtered(prefix, PRODUCT_COLUMNS, filter);
    match (sort, filter.search) {
        (ProductSort::Relevance, Some((terms, Matching::FullText))) => {
            query.push(" ORDER BY ts_rank_cd(search_vector, to_tsquery('english', ");
            query.push_bind(terms.prefix_query.as_str()).push(")) DESC, id");
        }
        (ProductSort::Relevance, Some((terms, Matching::Fuzzy))) => {
            query.push(" ORDER BY word_similarity(").push_bind(terms.text.as_str());
            query.push(", name) DESC, id");
        }
        (ProductSort::PriceAsc, _) => {
            query.push(" ORDER BY price_amount, id");
        }
        (ProductSort::PriceDesc, _) => {
            query.push(" ORDER BY price_amount DESC, id DESC");
        }
        (ProductSort::Newest | ProductSort::Relevance, _) => {
            query.push(" ORDER BY created_at DESC, id DESC");
        }
    }
    query.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    query
}

/// One page of visible products matching `filter`.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &ListFilter<'_>,
    sort: ProductSort,
    limit: i64,
    offset: i64,
) -> Result<Vec<ProductRow>> {
    let rows = page_query("", filter, sort, limit, offset)
        .build_query_as::<ProductRow>()
        .fetch_all(db)
        .await?;
    Ok(rows)
}

/// How many visible products match `filter`.
pub async fn count(db: impl PgExecutor<'_>, filter: &ListFilter<'_>) -> Result<i64> {
    let total = filtered("", "count(*)", filter).build_query_scalar::<i64>().fetch_one(db).await?;
    Ok(total)
}

/// The query plan PostgreSQL chooses for a page of `filter`, one line per
/// plan node (for checking that lists use indexes).
pub async fn explain_list(
    db: impl PgExecutor<'_>,
    filter: &ListFilter<'_>,
    sort: ProductSort,
    limit: i64,
    offset: i64,
) -> Result<String> {
    let lines = page_query("EXPLAIN ", filter, sort, limit, offset)
        .build_query_scalar::<String>()
        .fetch_all(db)
        .await?;
    Ok(lines.join("\n"))
}
