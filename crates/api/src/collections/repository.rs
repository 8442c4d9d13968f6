//! SQL for collections and their ordered products.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::catalog::repository::ProductRow;
use crate::error::{Error, Result};
use crate::media::MediaEntry;

/// A stored collection.
#[derive(Debug, Clone)]
pub struct CollectionRow {
    /// Id.
    pub id: Uuid,
    /// URL handle, e.g. `new-arrivals`.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// What an admin writes about a collection.
#[derive(Debug, Clone)]
pub struct CollectionValues {
    /// URL handle.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
}

fn collection_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("collections_handle_key") => {
            Error::conflict("handle_taken", "another collection has this handle")
        }
        _ => Error::Database(err),
    }
}

/// A page of collections, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(db: impl PgExecutor<'_>, limit: i64, offset: i64) -> Result<Vec<CollectionRow>> {
    Ok(sqlx::query_as!(
        CollectionRow,
        "SELECT id, handle, title, description, created_at, updated_at FROM collections
         ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(db)
    .await?)
}

/// How many collections there are.
#[tracing::instrument(skip_all)]
pub async fn count(db: impl PgExecutor<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM collections"#).fetch_one(db).await?)
}

/// The collection with `handle`.
#[tracing::instrument(skip_all)]
pub async fn by_handle(db: impl PgExecutor<'_>, handle: &str) -> Result<Option<CollectionRow>> {
    Ok(sqlx::query_as!(
        CollectionRow,
        "SELECT id, handle, title, description, created_at, updated_at FROM collections
         WHERE handle = $1",
        handle
    )
    .fetch_optional(db)
    .await?)
}

/// The collection with `id`, locked until the transaction ends.
#[tracing::instrument(skip_all, fields(collection = %id))]
pub async fn lock(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<CollectionRow>> {
    Ok(sqlx::query_as!(
        CollectionRow,
        "SELECT id, handle, title, description, created_at, updated_at FROM collections
         WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(db)
    .await?)
}

/// Creates a collection; its id.
#[tracing::instrument(skip_all)]
pub async fn insert(db: impl PgExecutor<'_>, c: &CollectionValues) -> Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO collections (id, handle, title, description) VALUES ($1, $2, $3, $4)
         RETURNING id",
        Uuid::now_v7(),
        c.handle,
        c.title,
        c.description
    )
    .fetch_one(db)
    .await
    .map_err(collection_conflict)
}

/// Changes a collection.
#[tracing::instrument(skip_all, fields(collection = %id))]
pub async fn update(db: impl PgExecutor<'_>, id: Uuid, c: &CollectionValues) -> Result<()> {
    sqlx::query!(
        "UPDATE collections SET handle = $2, title = $3, description = $4 WHERE id = $1",
        id,
        c.handle,
        c.title,
        c.description
    )
    .execute(db)
    .await
    .map_err(collection_conflict)?;
    Ok(())
}

/// Deletes a collection (its products stay); whether it existed.
#[tracing::instrument(skip_all, fields(collection = %id))]
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let done = sqlx::query!("DELETE FROM collections WHERE id = $1", id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Which of `ids` are products that are not deleted.
#[tracing::instrument(skip_all)]
pub async fn existing_products(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM products WHERE id = ANY($1) AND deleted_at IS NULL",
        ids
    )
    .fetch_all(db)
    .await?)
}

/// Replaces a collection's products with `products`, in that order.
#[tracing::instrument(skip_all, fields(collection = %id))]
pub async fn set_products(db: &mut PgConnection, id: Uuid, products: &[Uuid]) -> Result<()> {
    sqlx::query!("DELETE FROM collection_products WHERE collection_id = $1", id)
        .execute(&mut *db)
        .await?;
    sqlx::query!(
        "INSERT INTO collection_products (collection_id, product_id, position)
         SELECT $1, product, position FROM unnest($2::uuid[]) WITH ORDINALITY AS x(product, position)",
        id,
        products
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// A collection's products, in order (deleted ones left out).
#[tracing::instrument(skip_all, fields(collection = %id))]
pub async fn product_ids(db: impl PgExecutor<'_>, id: Uuid) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT cp.product_id FROM collection_products cp JOIN products p ON p.id = cp.product_id
         WHERE cp.collection_id = $1 AND p.deleted_at IS NULL
         ORDER BY cp.position",
        id
    )
    .fetch_all(db)
    .await?)
}

/// A page of the products shoppers can see in a collection, in order.
#[tracing::instrument(skip_all, fields(collection = %id))]
pub async fn visible_products(
    db: impl PgExecutor<'_>,
    id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<Vec<ProductRow>> {
    Ok(sqlx::query_as!(
        ProductRow,
        r#"SELECT p.id, p.category_id, p.name, p.description, p.brand, p.currency, p.images,
                p.thumbnail, p.attributes, p.warranty, p.is_active, p.created_at, p.updated_at,
                p.media AS "media: Json<Vec<MediaEntry>>"
         FROM collection_products cp JOIN products p ON p.id = cp.product_id
         WHERE cp.collection_id = $1
           AND p.deleted_at IS NULL AND p.is_active AND p.price_min IS NOT NULL
         ORDER BY cp.position
         LIMIT $2 OFFSET $3"#,
        id,
        limit,
        offset
    )
    .fetch_all(db)
    .await?)
}

/// How many products shoppers can see in a collection.
#[tracing::instrument(skip_all, fields(collection = %id))]
pub async fn visible_count(db: impl PgExecutor<'_>, id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!"
           FROM collection_products cp JOIN products p ON p.id = cp.product_id
           WHERE cp.collection_id = $1
             AND p.deleted_at IS NULL AND p.is_active AND p.price_min IS NOT NULL"#,
        id
    )
    .fetch_one(db)
    .await?)
}
